from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .views import MeView

urlpatterns = [
    path("users/me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
