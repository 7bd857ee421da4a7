import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from logstore.apikeys.issuing import issue_key
from logstore.models import Workspace

SAMPLE_LOG = {
    "request": {
        "url": "https://api.openai.com/v1/chat/completions",
        "method": "POST",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is AI?"}]},
    },
    "response": {
        "status": 200,
        "body": {
            "choices": [{"message": {"role": "assistant", "content": "AI is..."}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        },
        "response_time": 123,
    },
    "metadata": {"_user": "alice", "feature": "demo"},
}


class Command(BaseCommand):
    help = (
        "First-run setup: a 'default' workspace, an admin user and an API key. "
        "Does nothing once the default workspace exists, so secrets are printed only once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--username", default="admin")

    def handle(self, *args, url, username, **options):
        if Workspace.objects.filter(slug="default").exists():
            self.stdout.write(f"Log store ready at {url}/ (admin: {url}/admin/).")
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            User = get_user_model()
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_superuser(username, "", password)
            else:
                user.set_password(password)
                user.is_staff = user.is_superuser = True
                user.save()
            key, raw = issue_key("default", "default key")
            key.workspace.name = "Default"
            key.workspace.save(update_fields=["name"])
            key.workspace.members.add(user)
        sample = json.dumps(SAMPLE_LOG)
        line = "=" * 72
        self.stdout.write(
            f"""{line}
First run: created the 'default' workspace, an admin user and an API key.
Save these now; they are not shown again.

  Admin:     {url}/admin/
  Username:  {username}
  Password:  {password}
  API key:   {raw}

Store a log:

curl -X POST {url}/v1/logs \\
  -H "x-portkey-api-key: {raw}" \\
  -H "Content-Type: application/json" \\
  -d '{sample}'
{line}"""
        )
