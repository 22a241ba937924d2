"""Django's error views, answering in the API's JSON error shape under /api/.

Some errors never reach a REST framework view: a URL under /api/ that matches no route, a request
Django refuses while reading it, a crash. config/urls.py routes Django's error handlers here;
outside /api/ they render Django's own pages as before.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions

from .exceptions import BadRequest, RequestTooLarge, error_body

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ServerError(exceptions.APIException):
    default_detail = "The server failed to answer; the error has been reported."
    default_code = "server_error"


def answer(error: type[exceptions.APIException]) -> JsonResponse:
    body = error_body(error.status_code, str(error.default_code), str(error.default_detail))
    return JsonResponse(body, status=error.status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.bad_request(request, exception)
    return answer(RequestTooLarge if isinstance(exception, RequestDataTooBig) else BadRequest)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return answer(exceptions.PermissionDenied)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return answer(exceptions.NotFound)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api(request):
        return defaults.server_error(request)
    return answer(ServerError)
