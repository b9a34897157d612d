"""What the pages share; not pages themselves (the pages are the files in pages/ that app.py lists).

uploads (the session's files and how they come in), loading (those files read into the session's store, the demo,
the settings file), frame (the sidebar and what every page starts with: data loaded, an as-of date), widgets
(tables, their formats and downloads), portfolio (THE scored portfolio and what derives from it), and the
Scorecard's and the Feedback page's parts. The session's keys and its memo are in :mod:`pages.state`.
"""
