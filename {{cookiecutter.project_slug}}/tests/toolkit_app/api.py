"""The bookshop's REST API: a router with a list action and a nested list, then the same
viewsets each with one query per row planted (served by planted_urls.py)."""

from django.db.models import Count, Prefetch
from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter, SimpleRouter

from .models import Book, Review, Tag


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.name")

    class Meta:
        model = Review
        fields = ["id", "rating", "reviewer"]


class BookSerializer(serializers.ModelSerializer):
    publisher = serializers.CharField(source="publisher.name")
    tags = TagSerializer(many=True)
    review_count = serializers.IntegerField()
    good_reviews = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = ["id", "title", "publisher", "tags", "review_count", "good_reviews"]

    def get_good_reviews(self, book) -> int:
        return len(book.good_reviews)


class BookDetailSerializer(BookSerializer):
    reviews = ReviewSerializer(many=True)

    class Meta(BookSerializer.Meta):
        fields = [*BookSerializer.Meta.fields, "reviews"]


def books():
    good = Review.objects.filter(rating__gte=4)
    return (
        Book.objects.select_related("publisher")
        .prefetch_related("tags", Prefetch("reviews", queryset=good, to_attr="good_reviews"))
        .annotate(review_count=Count("reviews"))
        .order_by("pk")
    )


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        if self.action == "retrieve":
            reviews = Review.objects.select_related("reviewer")
            return books().prefetch_related(Prefetch("reviews", queryset=reviews))
        return books()

    def get_serializer_class(self):
        return BookDetailSerializer if self.action == "retrieve" else BookSerializer

    @action(detail=False)
    def recent(self, request):
        return Response(
            self.get_serializer(self.get_queryset().order_by("-pk")[:50], many=True).data
        )


class BookReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """/books/<book_pk>/reviews/, the list a nested router would make."""

    serializer_class = ReviewSerializer

    def get_queryset(self):
        reviews = Review.objects.select_related("reviewer").order_by("pk")
        return reviews.filter(book_id=self.kwargs["book_pk"])


router = DefaultRouter()
router.register("books", BookViewSet, basename="book")
urlpatterns = [
    *router.urls,
    path("books/<int:book_pk>/reviews/", BookReviewViewSet.as_view({"get": "list"})),
]


# Each viewset below plants one query per row.


class ForwardKeyPerRow(BookViewSet):
    def get_queryset(self):
        return super().get_queryset().select_related(None)


class NestedWithoutPrefetch(BookViewSet):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(None)
            .prefetch_related(
                Prefetch(
                    "reviews", queryset=Review.objects.filter(rating__gte=4), to_attr="good_reviews"
                )
            )
        )


class FilteredPrefetch(BookViewSet):
    class Serializer(BookSerializer):
        def get_good_reviews(self, book) -> int:
            return len(book.reviews.filter(rating__gte=4))

    serializer_class = Serializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related(None).prefetch_related("tags", "reviews")

    def get_serializer_class(self):
        return self.serializer_class


class CountPerRow(BookViewSet):
    class Serializer(BookSerializer):
        review_count = serializers.SerializerMethodField()  # type: ignore[assignment]

        def get_review_count(self, book) -> int:
            return book.reviews.count()

    def get_queryset(self):
        return (
            Book.objects.select_related("publisher")
            .prefetch_related(
                "tags",
                Prefetch(
                    "reviews", queryset=Review.objects.filter(rating__gte=4), to_attr="good_reviews"
                ),
            )
            .order_by("pk")
        )

    def get_serializer_class(self):
        return self.Serializer


class NestedRelationPerReview(BookViewSet):
    def get_queryset(self):
        return books().prefetch_related("reviews")  # the reviewer of each review is not fetched


planted = SimpleRouter()
planted.register("forward-key", ForwardKeyPerRow, basename="forward-key")
planted.register("nested", NestedWithoutPrefetch, basename="nested")
planted.register("filtered-prefetch", FilteredPrefetch, basename="filtered-prefetch")
planted.register("count", CountPerRow, basename="count")
planted.register("detail-nested", NestedRelationPerReview, basename="detail-nested")
planted_urlpatterns = [path("api/", include(planted.urls))]
