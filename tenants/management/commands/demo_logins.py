from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.demo import demo_logins


class Command(BaseCommand):
    help = "Print the demo URLs and one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        self.stdout.write(f"\nHouqin is running. Password for every demo login: {settings.DEMO_PASSWORD}\n")
        for what, login, url in demo_logins(options["port"]):
            self.stdout.write(f"  {what:<28} {login:<18} {url}")
        self.stdout.write("\nCtrl-C stops everything.\n")
