"""A route whose page is being built on another branch (removed once every area has landed)."""

from django.http import Http404


def placeholder(request, **kwargs):
    raise Http404("This page is not built yet.")
