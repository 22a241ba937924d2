from django.urls import path

from .views import FaviconView, HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
]
