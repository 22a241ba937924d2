from rest_framework import generics

from .serializers import UserSerializer


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user: read it, or change its name."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
