from decimal import Decimal


def score_text(value: Decimal | None) -> str:
    """85.50 → "85.5", 40.00 → "40", None → "—" (scores are stored with two places)."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
