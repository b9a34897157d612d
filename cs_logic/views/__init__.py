"""View builders: frozen records a page (or the command line) renders, built from the layers below."""
