from django.db import models


class Order(models.Model):
    item_id = models.IntegerField()
    quantity = models.IntegerField(default=1)
