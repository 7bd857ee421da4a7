"""Forms of the web UI."""

from django import forms
from django.http import QueryDict

from logstore.models import SavedFilter
from logstore.query.access import workspaces_for
from logstore.query.filters import LogFilter
from logstore.query.selection import filter_params


def clean_filter_query(text: str) -> str:
    """Keep only LogFilter's parameters and `cols` from a query string, blanks dropped."""
    return filter_params(QueryDict(text.lstrip("?")), extra=("cols",)).urlencode()


class SavedFilterForm(forms.ModelForm):
    class Meta:
        model = SavedFilter
        fields = ["workspace", "name", "query"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["workspace"].queryset = workspaces_for(user)
        self.fields["query"].required = False

    def clean_query(self):
        query = clean_filter_query(self.cleaned_data.get("query") or "")
        filterset = LogFilter(QueryDict(query))
        if not filterset.is_valid():
            raise forms.ValidationError("The current filter is not valid, so it was not saved.")
        return query

    def save(self, commit=True):
        self.instance.created_by = self.user
        return super().save(commit)
