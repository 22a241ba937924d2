from django.db import models


class Named(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Publisher(Named):
    pass


class Author(Named):
    pass


class Tag(Named):
    pass


class Book(models.Model):
    title = models.CharField(max_length=200)
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="books")
    translator = models.ForeignKey(
        Author, on_delete=models.SET_NULL, null=True, blank=True, related_name="translations"
    )
    tags = models.ManyToManyField(Tag, related_name="books")

    def __str__(self) -> str:
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(default=3)

    def __str__(self) -> str:
        # Reads the book: the changelist must fetch it with the reviews (list_select_related).
        return f"{self.rating} stars for {self.book.title}"
