"""Two admin sites beside the project's own: one done right, one with a query per row planted."""

from django.contrib import admin
from django.db.models import Count

from .models import Book, Review


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ["reviewer", "rating"]
    readonly_fields = ["reviewer"]
    extra = 0

    def get_queryset(self, request):
        # Each row shows its reviewer, and its title (Review.__str__) reads the book.
        return super().get_queryset(request).select_related("reviewer", "book")


class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher_name", "review_count"]
    list_select_related = ["publisher"]
    inlines = [ReviewInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reviews_count=Count("reviews"))

    @admin.display(description="Publisher")
    def publisher_name(self, book):
        return book.publisher.name

    @admin.display(description="Reviews")
    def review_count(self, book):
        return book.reviews_count


class ReviewAdmin(admin.ModelAdmin):
    list_select_related = ["book"]


backoffice = admin.AdminSite(name="backoffice")
backoffice.register(Book, BookAdmin)
backoffice.register(Review, ReviewAdmin)


class CarelessReviewInline(ReviewInline):
    def get_queryset(self, request):
        return super(ReviewInline, self).get_queryset(request)  # reviewer read per review


class CarelessBookAdmin(BookAdmin):
    list_select_related = []  # no join: publisher_name reads each book's publisher
    inlines = [CarelessReviewInline]


careless = admin.AdminSite(name="careless")
careless.register(Book, CarelessBookAdmin)
careless.register(Review)  # the changelist shows Review.__str__, which reads the book
