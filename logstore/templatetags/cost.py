"""`{% load cost %}`: `{{ log.cost_usd|usd }}` shows a cost the one way every page does."""

from django import template

from logstore.query.presenters import cost_display

register = template.Library()


@register.filter
def usd(amount):
    return cost_display(amount)
