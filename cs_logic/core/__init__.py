"""The bottom layer: canonical tables and fields, problems, statistics, escaping and the settings file."""
