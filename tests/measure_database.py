"""Per-call latency of the dialogue database on SQLite and on PostgreSQL (a throwaway cluster on a unix socket,
fsync off): `PYTHONPATH=. python tests/measure_database.py`; the figures are quoted in docs/deploy.md."""
import statistics, tempfile, time, os
from datetime import datetime
from pathlib import Path
from dialogue.database import open_database
from dialogue.conversation_store import ConversationStore
from dialogue.memory import MemoryStore
from tests.database_fixtures import PostgresCluster, postgres_bindir

def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)

cluster = PostgresCluster(postgres_bindir()).start()
try:
    urls = {"SQLite (WAL file)": os.path.join(tempfile.mkdtemp(), "d.sqlite3"),
            "PostgreSQL 15, pgvector": cluster.create_database(),
            "PostgreSQL 15, exact": cluster.create_database()}
    encoder = None
    print("pgvector:", cluster.has_pgvector())
    now = datetime.now()
    for name, url in urls.items():
        db = open_database(url, **({"vectors": False} if "exact" in name else {}))
        conv = ConversationStore(db)
        mem = MemoryStore(db, encoder=encoder) if encoder else MemoryStore(db)
        encoder = getattr(mem, "encoder", None) or encoder
        for i in range(100):
            mem.remember("u", f"사실 {i}", f"값 {i}", f"내 사실 {i}은 값 {i}야", now)
        rec = timed(lambda: conv.record("u", "안녕", "반가워", "answer", "인사", asked_at=now, answered_at=now), 50)
        tr = timed(lambda: conv.transcript("u"), 50)
        # another process changed nothing: the cached matrix; then a change forces a reload
        qs = iter(range(1000))
        ret = timed(lambda: mem.retrieve("u", f"내 사실 {next(qs)}은 뭐였지?", now), 20)
        print(f"| {name} | {rec:.2f} | {tr:.2f} | {ret:.1f} |", flush=True)
        db.close()
finally:
    cluster.stop(); cluster.remove()
