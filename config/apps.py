from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project plumbing as an app only so that its templates, static files and template tags are found."""

    name = "config"
    label = "config"
    verbose_name = "Project configuration"
