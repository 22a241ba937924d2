"""The Swagger UI page for the API, served from local files under the site's CSP.

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
from drf_spectacular.views import SpectacularSwaggerSplitView

STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


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
