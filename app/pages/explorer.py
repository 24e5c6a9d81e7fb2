"""The explorer page (/)."""

import dash

from app.layout import make_layout

dash.register_page(__name__, path="/", title="linflow", name="Explorer", layout=make_layout)
