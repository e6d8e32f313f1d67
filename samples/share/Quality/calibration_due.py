"""List gauges whose calibration is due in the next 30 days (read-only, prints a table)."""
import csv
import datetime as dt

DUE_WITHIN = dt.timedelta(days=30)


def due_gauges(path):
    today = dt.date.today()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            due = dt.date.fromisoformat(row["next_calibration"])
            if due - today <= DUE_WITHIN:
                yield row["gauge_id"], row["location"], due


if __name__ == "__main__":
    for gauge, location, due in due_gauges(r"\\fs01\maintenance\gauges.csv"):
        print(f"{gauge:<12} {location:<20} {due}")
