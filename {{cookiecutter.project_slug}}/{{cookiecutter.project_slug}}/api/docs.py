"""The API's schema, and its Swagger UI page served from local files under the site's CSP.

drf-spectacular-sidecar ships the Swagger UI files as static files (no CDN), and the split view
loads its start-up script from a URL instead of an inline <script>. What is left inline is the
page's one small <style> block: rather than allowing 'unsafe-inline', this page's policy allows
that block by its hash, computed from drf-spectacular's own template so an upgrade carries over.
"""

import base64
import hashlib
import re
from functools import cache

from csp.decorators import csp_update
from django.template import Engine
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)
VERSION = re.compile(r"[A-Za-z0-9._-]{1,32}")


class SchemaView(SpectacularAPIView):
    """The schema, refusing a ?version= that drf-spectacular would copy into a response header."""

    def _get_version_parameter(self, request: Request) -> str | None:
        version = request.query_params.get("version")
        if version is not None and not VERSION.fullmatch(version):
            raise ValidationError({"version": ["Letters, digits, '.', '_' and '-' only."]})
        return super()._get_version_parameter(request)


@cache
def inline_style_hashes() -> list[str]:
    source = Engine.get_default().get_template(SpectacularSwaggerSplitView.template_name).source
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in STYLE_BLOCK.findall(source)
    ]


def swagger_ui_view():
    view = SpectacularSwaggerSplitView.as_view(url_name="api-schema")
    return csp_update({"style-src": inline_style_hashes()})(view)
