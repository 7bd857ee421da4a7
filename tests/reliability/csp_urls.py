"""A page with injected scripts and one nonce-carrying script, to check CSP in a browser."""

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import include, path

PAGE = Template(
    """<!doctype html><html><body>
<script>window.inlineRan = true;</script>
<img src="data:," onload="window.handlerRan = true">
<a id="link" href="javascript:window.linkRan = true">x</a>
<script nonce="{{ csp_nonce }}">window.nonceRan = true;</script>
</body></html>"""
)


def probes(request):
    return HttpResponse(PAGE.render(RequestContext(request)))


urlpatterns = [path("csp-probes/", probes), path("", include("project.urls"))]
