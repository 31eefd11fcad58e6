"""The site: server-rendered pages with htmx for the live parts (DESIGN.md, "The web application").

Views call services and selectors only, as the API does; forms show a service's field errors
next to their fields in the API's words (``courses.web.forms.apply_service_error``).
"""
