from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    """Pages of PAGE_SIZE items; clients may ask for up to 200 with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 200
