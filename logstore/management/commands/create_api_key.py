from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from logstore.apikeys.issuing import issue_key, parse_scopes


class Command(BaseCommand):
    help = "Create an API key (and its workspace if needed); prints the key on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--name", required=True, help="a name for the key")
        parser.add_argument("--scopes", help="comma-separated scopes (default: all)")

    def handle(self, *args, workspace, name, scopes, **options):
        try:
            key, raw = issue_key(workspace, name, parse_scopes(scopes))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Created key '{key.name}' in workspace '{key.workspace.slug}' "
            f"with scopes {', '.join(key.scopes)}. It is shown only once:"
        )
        self.stdout.write(raw)
