"""Word lists for demo data: invented people, places and medicines, nothing real."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Katrin", "Leon", "Mara", "Nico", "Olga", "Paul", "Rosa", "Samir", "Tara", "Umut",
    "Vera", "Wim", "Yara", "Zoe", "Amir", "Bea", "Carlos", "Dana", "Emil", "Fatma",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Becker", "Costa", "Demir", "Engel", "Fischer", "Garcia", "Hoffmann", "Ito", "Jansen",
    "Keller", "Lang", "Meyer", "Novak", "Okafor", "Peters", "Quinn", "Richter", "Schmidt", "Tanaka",
    "Unger", "Vogel", "Weber", "Xu", "Yilmaz", "Zimmer", "Berg", "Kowalski", "Moreau", "Rossi",
)  # fmt: skip
SPECIALTIES = (
    "General practice", "Paediatrics", "Dermatology", "Cardiology", "Orthopaedics",
    "Gynaecology", "ENT", "Ophthalmology", "Neurology", "Psychiatry",
)  # fmt: skip
STREETS = ("Hauptstrasse", "Lindenallee", "Parkweg", "Marktplatz", "Bahnhofstrasse", "Rosengasse")
TIME_ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Europe/Madrid", "Asia/Tokyo")
REASONS = (
    "Follow-up visit", "Annual check-up", "Persistent cough", "Back pain", "Skin rash",
    "Headaches", "Vaccination", "Blood test results", "Knee pain", "Sleep problems",
)  # fmt: skip
ALLERGIES = ("Penicillin", "Peanuts", "Pollen", "Latex", "Lactose", "Ibuprofen")
# (name, dosage, frequency, duration in days)
MEDICATIONS = (
    ("Amoxicillin", "500 mg", "three times a day", 7),
    ("Ibuprofen", "400 mg", "up to three times a day", 5),
    ("Omeprazole", "20 mg", "once a day", 28),
    ("Cetirizine", "10 mg", "once a day", 14),
    ("Metformin", "850 mg", "twice a day", 90),
    ("Ramipril", "5 mg", "once a day", 90),
    ("Salbutamol inhaler", "100 mcg", "as needed", 30),
    ("Vitamin D3", "1000 IU", "once a day", 60),
)


def person(rng: random.Random) -> tuple[str, str]:
    """A (first, last) name pair."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
