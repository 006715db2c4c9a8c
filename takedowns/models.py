from django.db import models


class Platform(models.Model):
    """A site that hosts or indexes content, and where its takedown requests go."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PlatformDomain(models.Model):
    """A registrable domain (or exact host) that belongs to a platform: x.com, twitter.com."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain
