from django.core.management.base import BaseCommand

from tenants.demo import demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo district once (the seed's school and generated schools)."

    def handle(self, *args, **options):
        if demo_loaded():
            self.stdout.write("Demo district already loaded.")
            return
        self.stdout.write("Loading the demo district…")
        load_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo district loaded."))
