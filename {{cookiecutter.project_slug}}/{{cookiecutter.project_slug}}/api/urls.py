from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .docs import swagger_ui_view
from .views import MeView, UserListView

urlpatterns = [
    path("users/", UserListView.as_view(), name="api-users"),
    path("users/me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", swagger_ui_view(), name="api-docs"),
]
