import pghistory
from django.db import models


@pghistory.track(pghistory.InsertEvent())
class BenchWrite(models.Model):
    payload = models.TextField()

    class Meta:
        app_label = "pghistory_peer"
