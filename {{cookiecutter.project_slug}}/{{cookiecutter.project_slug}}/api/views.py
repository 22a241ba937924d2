from rest_framework import generics, permissions

from {{ cookiecutter.project_slug }}.users.selectors import users_with_groups

from .serializers import UserListSerializer, UserSerializer


class UserListView(generics.ListAPIView):
    """Every user with their groups, for staff."""

    serializer_class = UserListSerializer
    permission_classes = [permissions.IsAdminUser]

    def get_queryset(self):
        return users_with_groups()


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user: read it, or change its name."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
