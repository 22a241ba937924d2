from django.http import HttpResponse
from django.views.generic import DetailView, ListView

from .models import Book, Review, Tag


class BookListView(ListView):
    queryset = Book.objects.select_related("publisher").order_by("pk")
    template_name = "toolkit_app/book_list.html"


class BookDetailView(DetailView):
    queryset = Book.objects.prefetch_related("reviews__reviewer")
    template_name = "toolkit_app/book_detail.html"


class TagListView(ListView):
    """Says which model it lists only through get_queryset()."""

    def get_queryset(self):
        return Tag.objects.order_by("name")

    def render_to_response(self, context, **kwargs):
        return HttpResponse(", ".join(tag.name for tag in context["object_list"]))


class ReviewedBooksView(ListView):
    """Which books have reviews, read from the replica in one query for the whole page."""

    queryset = Book.objects.order_by("pk")

    def reviewed(self, books):
        ids = [book.pk for book in books]
        reviewed = Review.objects.using("replica").filter(book_id__in=ids)
        return set(reviewed.values_list("book_id", flat=True))

    def render_to_response(self, context, **kwargs):
        books = context["object_list"]
        reviewed = self.reviewed(books)
        return HttpResponse("\n".join(f"{book.title}: {book.pk in reviewed}" for book in books))


# Each view below plants one query per row.


class BookListWithoutPublisher(BookListView):
    queryset = Book.objects.order_by("pk")  # the template loop reads book.publisher


class ReviewedBooksPerRow(ReviewedBooksView):
    def reviewed(self, books):
        replica = Review.objects.using("replica")
        return {book.pk for book in books if replica.filter(book_id=book.pk).exists()}
