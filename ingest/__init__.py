"""The HTTP API (Django REST framework): Portkey's logs API and its neighbours.

It ingests logs (`POST /logs`) and serves reads (`GET /logs`, `GET /logs/{id}`), export jobs,
feedback and the OpenAPI document with its doc pages. Everything it does is a thin layer over
`logstore`, which never imports it.
"""
