class ReplicaRouter:
    """The replica alias holds the toolkit app's tables only: nothing else reads it."""

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        if db == "replica":
            return app_label == "toolkit_app"
        return None
