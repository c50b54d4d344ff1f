"""Network output: OSC 1.0 encoding checked byte by byte with an independent decoder, JSON
datagrams, control messages, and UDP end to end on loopback (simulate -> serve -> receiver)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from test_engine import ConstantVelocity, synthetic_play

import ghostedge
from ghostedge import net
from ghostedge.live import Engine, EngineConfig, Roster

# ------------------------------------------------------------- an independent OSC 1.0 decoder

def _osc_str(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\0", pos)
    text = data[pos:end].decode()
    size = end - pos + 1
    assert (pos + size + (-size % 4)) % 4 == 0
    assert data[end:pos + size + (-size % 4)] == b"\0" * (size + (-size % 4) - (end - pos))
    return text, pos + size + (-size % 4)


def decode_osc_message(data: bytes) -> tuple[str, list]:
    assert len(data) % 4 == 0, "OSC messages are a multiple of 4 bytes"
    address, pos = _osc_str(data, 0)
    tags, pos = _osc_str(data, pos)
    assert tags.startswith(",")
    args = []
    for t in tags[1:]:
        if t == "i":
            args.append(struct.unpack_from(">i", data, pos)[0])
            pos += 4
        elif t == "f":
            args.append(struct.unpack_from(">f", data, pos)[0])
            pos += 4
        elif t == "s":
            s, pos = _osc_str(data, pos)
            args.append(s)
        elif t == "b":
            n = struct.unpack_from(">i", data, pos)[0]
            args.append(data[pos + 4:pos + 4 + n])
            pos += 4 + n + (-n % 4)
        else:
            raise AssertionError(f"unexpected OSC type tag {t!r}")
    assert pos == len(data), "trailing bytes after the last argument"
    return address, args


def decode_osc_bundle(data: bytes) -> tuple[int, list]:
    assert data[:8] == b"#bundle\0"
    timetag = struct.unpack_from(">Q", data, 8)[0]
    pos, elements = 16, []
    while pos < len(data):
        size = struct.unpack_from(">i", data, pos)[0]
        assert size > 0 and size % 4 == 0
        elements.append(decode_osc_message(data[pos + 4:pos + 4 + size]))
        pos += 4 + size
    assert pos == len(data)
    return timetag, elements


# ------------------------------------------------------------------------------- encoding

def test_osc_message_bytes_by_hand():
    msg = net.osc_message("/a", [1, 2.5, "hi"])
    assert msg == (b"/a\0\0" + b",ifs\0\0\0\0" + struct.pack(">i", 1) + struct.pack(">f", 2.5)
                   + b"hi\0\0")
    assert net.osc_message("/abc", []) == b"/abc\0\0\0\0,\0\0\0"
    assert decode_osc_message(net.osc_message("/x", [b"\x01\x02\x03"])) == ("/x", [b"\x01\x02\x03"])
    fm = net.osc_float_message("/g", [7, -3], np.array([[1.0, 2.0], [3.0, np.nan]]))
    address, args = decode_osc_message(fm)
    assert address == "/g" and args[:5] == [7, -3, 1.0, 2.0, 3.0] and np.isnan(args[5])
    with pytest.raises(ValueError):
        net.osc_message("no-slash", [])
    with pytest.raises(ValueError):
        net.osc_message("/a", [2**40])
    with pytest.raises(TypeError):
        net.osc_message("/a", [object()])


def test_osc_timetag_and_bundle_split():
    assert net.osc_timetag(None) == struct.pack(">Q", 1)
    tt = struct.unpack(">II", net.osc_timetag(1_600_000_000_500_000))
    assert tt[0] == 1_600_000_000 + 2208988800 and abs(tt[1] - 2**31) <= 1
    msgs = [net.osc_message("/m", [float(i)] * 100) for i in range(40)]  # ~ 520 bytes each
    bundles = net.osc_bundles(msgs, 1_600_000_000_000_000, max_size=2000)
    assert len(bundles) > 1 and all(len(b) <= 2000 for b in bundles)
    decoded = [el for b in bundles for el in decode_osc_bundle(b)[1]]
    assert [args[0] for _, args in decoded] == [float(i) for i in range(40)]
    with pytest.raises(ValueError, match="does not fit"):
        net.osc_bundles([net.osc_message("/m", [1.0] * 1000)], None, max_size=1000)


def _result_for_synthetic_play(frames: int = 20):
    roster, xy, ball = synthetic_play()
    eng = Engine(EngineConfig(), model=ConstantVelocity())
    eng.set_roster(roster)
    eng.activate()
    for k in range(frames):
        eng.push_frame(k * 100_000, xy[k], np.zeros(6), ball[k])
        eng.flush()
    res = eng.latest().copy()
    eng.close()
    return res


def test_result_messages_json_and_osc():
    res = _result_for_synthetic_play()
    grams = net.result_to_json_datagrams(res)
    header = json.loads(grams[0])
    assert header["type"] == "frame" and header["frame_id"] == 20 and header["horizon"] == 10
    assert header["defender_ids"] == [21, 22] and header["receiver_ids"] == [11, 12]
    defenders = [json.loads(g) for g in grams[1:]]
    assert [d["nfl_id"] for d in defenders] == [21, 22] and all(d["count"] == 2 for d in defenders)
    ghost = defenders[0]["receivers"][0]
    assert ghost["nfl_id"] == 11 and len(ghost["mean"]) == 10 and len(ghost["mean"][0]) == 2
    assert np.allclose(ghost["mean"], res.mean[0, 0], atol=0.006)

    bundles = net.result_to_osc_datagrams(res)
    assert all(len(b) <= net.MAX_DATAGRAM for b in bundles)
    elements = [el for b in bundles for el in decode_osc_bundle(b)[1]]
    by_addr = {}
    for address, args in elements:
        by_addr.setdefault(address, []).append(args)
    frame = by_addr["/ghostedge/frame"][0]
    assert frame[0] == 20 and frame[6:9] == [2, 2, 10]
    assert by_addr["/ghostedge/receivers"][0] == [20, 11, 12]
    ghosts = by_addr["/ghostedge/ghost"]
    assert len(ghosts) == 4  # 2 defenders x 2 receivers
    g = ghosts[0]
    assert g[:4] == [20, 21, 11, 10] and len(g) == 4 + 1 + 40
    assert np.allclose(np.array(g[5:25]).reshape(10, 2), res.mean[0, 0], atol=1e-4)


def test_control_messages():
    assert net.classify_datagram(b"GETR\x01") == "tags"
    assert net.classify_datagram(b'{"type":"end"}') == "control"
    assert net.classify_datagram(b"\x00garbage") == "unknown"
    with pytest.raises(ValueError, match="not JSON"):
        net.parse_control(b"{nope")
    with pytest.raises(ValueError, match="type"):
        net.parse_control(b'{"type":"launch"}')
    roster, _, _ = synthetic_play()
    msg = net.parse_control(net.roster_message(roster))
    assert Roster.from_dict(msg).nfl_ids.tolist() == roster.nfl_ids.tolist()
    assert net.parse_hostport("10.0.0.1:5005") == ("10.0.0.1", 5005)
    assert net.parse_hostport(":5005") == ("127.0.0.1", 5005)
    with pytest.raises(ValueError, match="HOST:PORT"):
        net.parse_hostport("localhost:http")


# ------------------------------------------------------------------ UDP end to end (loopback)

@pytest.fixture(scope="module")
def sample_play():
    from ghostedge.data import load_samples

    return next(iter(load_samples().iter_plays()))


def _receive_all(sock) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(65536))
        except OSError:  # timeout: the server is done
            return out


@pytest.mark.parametrize("fmt", ["json", "osc"])
def test_udp_simulate_to_serve_every_frame(fmt, sample_play):
    from ghostedge.sim import simulate_play

    play = sample_play
    receiver = net.udp_listener(("127.0.0.1", 0), timeout_s=1.0)
    server = net.GhostServer(("127.0.0.1", 0), receiver.getsockname(), fmt=fmt, model=ConstantVelocity())
    stats = {}
    thread = threading.Thread(target=lambda: stats.update(server.run(until_end=True, max_idle_s=20)))
    thread.start()
    sim = simulate_play(play, seed=3)
    roster = Roster.from_play(play, registry=sim.registry, frame0_time_us=int(sim.frame_times_us[0]))
    sent = net.send_simulated_play(sim, roster, server.address, speed=0)
    thread.join(30)
    grams = _receive_all(receiver)
    server.close()
    receiver.close()
    assert not thread.is_alive()
    assert sent["packets"] == len(sim.packets) and sent["send_errors"] == 0
    assert stats["frames"] == play.n_frames and stats["bad_control"] == 0
    assert stats["engine_errors_ingest"] == 0 and stats["engine_ingest_decode_packets_ok"] == len(sim.packets)
    assert all(len(g) <= net.MAX_DATAGRAM for g in grams)
    frame_ids = []
    if fmt == "json":
        msgs = [json.loads(g) for g in grams]
        headers = [m for m in msgs if m["type"] == "frame"]
        for h in headers:
            frame_ids.append(h["frame_id"])
            per = [m for m in msgs if m["type"] == "defender" and m["frame_id"] == h["frame_id"]]
            assert len(per) == len(h["defender_ids"])
            for m in per:
                assert len(m["receivers"]) == len(h["receiver_ids"])
    else:
        for g in grams:
            timetag, elements = decode_osc_bundle(g)
            assert timetag >> 32 > 2208988800  # a real UTC time, not "immediately"
            for address, args in elements:
                assert address.startswith("/ghostedge/")
                if address == "/ghostedge/frame":
                    frame_ids.append(args[0])
                elif address == "/ghostedge/ghost":
                    assert len(args) == 4 + 1 + 4 * args[3]
    # one result per tracking frame of the play, in order, each for its own frame
    assert frame_ids == play.frame_ids.tolist()


def test_serve_and_simulate_commands_end_to_end(tmp_path, sample_play):
    """The CLI: `ghostedge serve` in a subprocess fed by `ghostedge simulate`."""
    # The subprocesses must import the same ghostedge as this test (installed or source tree).
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(ghostedge.__file__).resolve().parents[1])
    receiver = net.udp_listener(("127.0.0.1", 0), timeout_s=2.0)
    probe = net.udp_listener(("127.0.0.1", 0))
    listen_port = probe.getsockname()[1]
    probe.close()
    play = sample_play
    serve = subprocess.Popen(
        [sys.executable, "-m", "ghostedge", "serve", "--listen", f"127.0.0.1:{listen_port}",
         "--send", f"127.0.0.1:{receiver.getsockname()[1]}", "--format", "json", "--until-end",
         "--max-idle", "60", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        # Resend until the server is up (its start-up imports take a moment): the roster
        # message comes first in each run, and a repeated roster is ignored.
        sim = subprocess.run(
            [sys.executable, "-m", "ghostedge", "simulate", "--game", str(play.game_id), "--play",
             str(play.play_id), "--send", f"127.0.0.1:{listen_port}", "--speed", "0", "--json",
             "--write-roster", str(tmp_path / "roster.json")],
            capture_output=True, text=True, env=env, timeout=120, input="",
        ) if _wait_listening(listen_port) else None
        assert sim is not None and sim.returncode == 0, sim and sim.stderr
        out, err = serve.communicate(timeout=120)
        headers = [json.loads(g) for g in _receive_all(receiver)]
    finally:
        receiver.close()
        if serve.poll() is None:
            serve.kill()
            serve.communicate()
    assert serve.returncode == 0, err
    stats = json.loads(out)
    sent = json.loads(sim.stdout)
    assert stats["tag_datagrams"] == sent["packets"] and stats["frames"] == play.n_frames
    frames = [h["frame_id"] for h in headers if h["type"] == "frame"]
    assert frames == play.frame_ids.tolist()
    roster = Roster.from_dict(json.loads((tmp_path / "roster.json").read_text()))
    assert roster.game_id == play.game_id and roster.registry is not None


def _wait_listening(port: int, timeout_s: float = 60.0) -> bool:
    """True once something is bound to the UDP port (probing by trying to bind it)."""
    import socket
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
        finally:
            s.close()
        time.sleep(0.1)
    return False


def test_serve_roster_files(tmp_path, sample_play):
    from ghostedge.commands.serve import load_roster_file
    from ghostedge.ingest.registry import Registry

    reg = Registry.from_play(sample_play)
    reg.to_csv(tmp_path / "tags.csv")
    roster = load_roster_file(str(tmp_path / "tags.csv"), sample_play.possession_team, sample_play.defensive_team)
    assert sorted(roster.nfl_ids.tolist()) == sorted(sample_play.nfl_ids.tolist())
    assert len(roster.defenders()) == len(sample_play.defensive_backs())
    with pytest.raises(ValueError, match="--offence and --defence"):
        load_roster_file(str(tmp_path / "tags.csv"), None, None)
    (tmp_path / "r.json").write_text(json.dumps(Roster.from_play(sample_play, registry=reg).to_dict()))
    back = load_roster_file(str(tmp_path / "r.json"), None, None)
    assert back.registry is not None and back.offence == sample_play.possession_team


def test_long_horizon_json_is_split_under_the_datagram_limit():
    from ghostedge.live import GhostResult

    res = GhostResult(3, 6, 50, 0.1)
    res._set_sizes(3, 6)
    res.frame_id, res.age_s = 7, 0.001
    res.defender_ids[:] = [1, 2, 3]
    res.receiver_ids[:] = [11, 12, 13, 14, 15, 16]
    res.defender_xy[...] = 10.0
    res.mean[...] = np.random.default_rng(0).uniform(0, 100, res.mean.shape)
    res.sigma[...] = 1.2345
    res.metric[...] = -0.5
    grams = net.result_to_json_datagrams(res)
    assert all(len(g) <= net.MAX_DATAGRAM for g in grams)
    parts = [json.loads(g) for g in grams[1:]]
    assert len(parts) > 3  # 6 receivers x 50 steps do not fit one datagram per defender
    for d in (1, 2, 3):
        mine = [p for p in parts if p["nfl_id"] == d]
        assert [p["part"] for p in mine] == list(range(mine[0]["parts"]))
        assert [r["nfl_id"] for p in mine for r in p["receivers"]] == [11, 12, 13, 14, 15, 16]
    first = parts[0]["receivers"][0]
    assert np.allclose(first["mean"], res.mean[0, 0], atol=0.006)


def test_event_message_reaches_the_engine_with_its_target():
    """A host event over the network: the engine takes the event and the host's target (the
    datagram carries no time: it applies to the newest frame)."""
    roster, xy, ball = synthetic_play()
    server = net.GhostServer(("127.0.0.1", 0), ("127.0.0.1", 9), model=ConstantVelocity(), roster=roster)
    try:
        for k in range(5):
            server.engine.push_frame(k * 100_000, xy[k], np.zeros(6), ball[k])
        assert server._handle_control(net.event_message("pass_forward", target_nfl_id=12)) is False
        assert server.stats["control_messages"] == 1 and server.stats["bad_control"] == 0
        server.engine.push_frame(5 * 100_000, xy[5], np.zeros(6), ball[5])
        server.engine.flush()
        res = server.engine.latest()
        assert res.phase == "in_air"
        assert res.target_source == "host" and res.target_nfl_id == 12
    finally:
        server.close()


def test_control_messages_of_another_protocol_version_are_rejected_and_counted(sample_play):
    from ghostedge.sim import simulate_play

    roster, _, _ = synthetic_play()
    good = json.loads(net.roster_message(roster))
    for v in (2, 0, "1", True, None):
        msg = dict(good, v=v) if v is not None else {k: x for k, x in good.items() if k != "v"}
        with pytest.raises(net.ProtocolVersionError, match="version"):
            net.parse_control(json.dumps(msg).encode())
    # Through the server: a roster of version 2 is not applied; an event of version 1 is.
    receiver = net.udp_listener(("127.0.0.1", 0), timeout_s=1.0)
    server = net.GhostServer(("127.0.0.1", 0), receiver.getsockname(), model=ConstantVelocity())
    sim = simulate_play(sample_play, seed=3)
    play_roster = Roster.from_play(sample_play, registry=sim.registry, frame0_time_us=int(sim.frame_times_us[0]))
    v2 = json.dumps({**json.loads(net.roster_message(play_roster)), "v": 2}).encode()
    assert server._handle_control(v2) is False
    assert server.stats["control_bad_version"] == 1 and server.stats["rosters"] == 0
    assert server.engine.state == "created"
    server._handle_control(net.roster_message(play_roster))
    target = int(play_roster.nfl_ids[play_roster.receivers()[0]])
    event = json.dumps({"type": "event", "v": 1, "name": "pass_forward",
                        "time_us": int(sim.frame_times_us[5]), "target_nfl_id": target}).encode()
    server._handle_control(event)  # (time_us used to reach signal_event as the target: a TypeError)
    bad_event = json.dumps({"type": "event", "v": 1, "name": "pass_forward", "time_us": "soon"}).encode()
    server._handle_control(bad_event)
    stats = dict(server.stats)
    server.close()
    receiver.close()
    assert stats["rosters"] == 1 and stats["control_messages"] == 2 and stats["bad_control"] == 1
    assert stats["control_bad_version"] == 1


def test_the_serve_process_imports_nothing_heavy():
    """``ghostedge serve`` (not only its modules) runs without pandas, matplotlib, torch, tqdm."""
    code = ("import sys\nfrom ghostedge.cli import main\n"
            "main(['serve', '--listen', '127.0.0.1:0', '--send', '127.0.0.1:9', '--max-idle', '0.2'])\n"
            "print(sorted(m for m in ('pandas', 'matplotlib', 'torch', 'tqdm') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(Path(ghostedge.__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
