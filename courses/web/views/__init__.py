"""Views of the site, one module per area; each calls services and selectors only."""
