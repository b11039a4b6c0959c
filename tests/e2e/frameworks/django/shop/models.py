"""The test app's models, in the state its last migration leaves them.

0001 creates Category (self-referencing parent), Product (child of Category,
on_delete=CASCADE, and of auth's User) and Review (child of Product). 0002
changes the parent table Category and the child tables Product and Review:
added columns (one of them a new foreign key), an index, longer strings, and a
foreign-key column made NOT NULL (Django drops and re-adds its constraint).
"""
from django.conf import settings
from django.db import models


class Supplier(models.Model):
    name = models.CharField(max_length=60)


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=64, null=True)
    position = models.IntegerField(default=0)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")


class Product(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=32, null=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    supplier = models.ForeignKey(Supplier, null=True, on_delete=models.CASCADE, related_name="products")

    class Meta:
        indexes = [models.Index(fields=["category", "name"], name="shop_product_cat_name")]


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    stars = models.SmallIntegerField()
