"""The tribute-photo service of the incident report, reduced to its database setup."""

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 5, "pool_timeout": 30}
db = SQLAlchemy(app)


def gallery_size() -> int:
    """The query behind /tributes, without the base64 payload."""
    return db.session.execute(text("SELECT count(*) FROM pg_class")).scalar_one()
