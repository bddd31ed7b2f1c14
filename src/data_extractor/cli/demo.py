"""`data-extractor demo`: a deterministic sample SQLite database, its config, and an extraction of it."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from decimal import Decimal
from pathlib import Path

import yaml

FIRST = ["Ana", "Björn", "Chloé", "Dmitri", "Eun-ji", "Farah", "Giulia", "Hiroshi", "Ines", "José", "Kwame", "Lena",
         "Mateus", "Nour", "Olga", "Priya", "Quentin", "Rania", "Søren", "Tomás", "Uxue", "Wen", "Yasmin", "Zoë"]
LAST = ["Abe", "Bauer", "Çelik", "Dubois", "Eriksen", "Fernández", "García", "Hansen", "Ivanova", "Jensen",
        "Kowalski", "Łukasz", "Müller", "Nakamura", "O'Brien", "Pérez", "Rossi", "Schmidt", "Tanaka", "Ünal",
        "Weiß", "Xu", "Yılmaz", "Zhang", "محمد", "李"]
COUNTRIES = ["DE", "FR", "ES", "IT", "PL", "SE", "JP", "BR", "IN", "US", "NG", "EG", None]
STATUSES = ["pending", "paid", "shipped", "delivered", "returned", "void"]
WORDS = ["blue", "large", "fragile", "gift", "express", "eco", "☕", "🚲", "naïve", "façade", "ß", "中文"]
START = dt.datetime(2024, 1, 1)

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, country TEXT,
                        signup_date DATE NOT NULL, vip BOOLEAN NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, price DECIMAL(10,2) NOT NULL,
                       weight_kg REAL, discontinued BOOLEAN NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
                     quantity INTEGER NOT NULL, amount DECIMAL(12,2) NOT NULL, status TEXT NOT NULL,
                     ordered_at TIMESTAMP NOT NULL, ship_date DATE, note TEXT);
CREATE INDEX orders_customer ON orders (customer_id);
"""


def build_database(path: Path, rows: int = 200_000, seed: int = 42) -> dict[str, int]:
    """Create the demo database at `path` (replacing it). Returns rows per table."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    n_customers = max(10, min(5_000, rows // 40))
    n_products = max(5, min(500, rows // 400))
    customers = []
    for i in range(1, n_customers + 1):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = None if rng.random() < 0.1 else f"user{i}@example.com"
        signup = (START - dt.timedelta(days=rng.randrange(0, 2000))).date().isoformat()
        customers.append((i, name, email, rng.choice(COUNTRIES), signup, rng.random() < 0.05))
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
    products = []
    prices = {}
    for i in range(1, n_products + 1):
        price = Decimal(rng.randrange(99, 250_000)) / 100
        prices[i] = price
        weight = None if rng.random() < 0.2 else round(rng.uniform(0.01, 40), 3)
        products.append((i, f"SKU-{i:05d}", f"{rng.choice(WORDS)} {rng.choice(WORDS)} item {i}", str(price),
                         weight, rng.random() < 0.1))
    conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", products)
    batch = []
    for i in range(1, rows + 1):
        product = rng.randrange(1, n_products + 1)
        qty = rng.randrange(1, 10)
        status = rng.choice(STATUSES)
        ordered = START + dt.timedelta(seconds=rng.randrange(0, 365 * 86400), microseconds=rng.randrange(0, 10**6))
        ship = None if status in ("pending", "void") else (ordered + dt.timedelta(days=rng.randrange(1, 9))).date()
        note = None if rng.random() < 0.8 else " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6)))
        batch.append((i, rng.randrange(1, n_customers + 1), product, qty, str(prices[product] * qty), status,
                      ordered.isoformat(sep=" "), ship.isoformat() if ship else None, note))
        if len(batch) >= 50_000:
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    conn.commit()
    conn.close()
    return {"customers": n_customers, "products": n_products, "orders": rows}


def write_config(folder: Path, db: Path, master: str = "local[*]") -> Path:
    config = {
        "source": {"type": "sqlite", "path": str(db.resolve())},
        "spark": {"master": master},
        "output": {"path": str((folder / "extracts").resolve()), "compression": "snappy"},
        "defaults": {"parallel_tables": 2, "partitioning": {"strategy": "auto", "target_rows": 50_000}},
        "tables": ["customers", "products", "orders"],
    }
    path = folder / "demo.yaml"
    path.write_text("# Written by `data-extractor demo`: the sample SQLite database and where its Parquet goes.\n"
                    + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
