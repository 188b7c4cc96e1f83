"""`lawtrail witness …` and the server's refusal to start, as an operator meets them."""

from lawtrail.cli import main
from lawtrail.ledger.services import ledger_checkpoint
from lawtrail.testing import behind_the_ledger
from lawtrail.witness import note
from lawtrail.witness.service import Witness
from lawtrail.witness.tasks import checkpoint_pass
from lawtrail.witness.testing import running_witnesses


def test_a_witness_is_set_up_from_the_command_line(db, tmp_path, capsys):
    assert main(["witness", "log-key"]) == 0
    log_key = capsys.readouterr().out.strip()
    assert note.parse_vkey(log_key).sig_type == note.ED25519
    assert main(["witness", "init", "--dir", str(tmp_path / "w"), "--name", "sfj.test/witness", "--log", log_key]) == 0
    out = capsys.readouterr().out
    assert "已创建见证服务 sfj.test/witness" in out
    assert main(["witness", "key", "--dir", str(tmp_path / "w")]) == 0
    key = capsys.readouterr().out.strip()
    assert key in out and note.parse_vkey(key).sig_type == note.COSIGNATURE_V1
    assert Witness(tmp_path / "w").logs["lawtrail.local/ledger"].text() == log_key
    assert (tmp_path / "w" / "witness-ed25519").stat().st_mode & 0o077 == 0
    assert main(["witness", "init", "--dir", str(tmp_path / "w"), "--name", "x", "--log", log_key]) == 2
    assert "已有见证服务的密钥" in capsys.readouterr().err


def test_a_bad_log_key_is_refused_in_chinese(db, tmp_path, capsys):
    assert main(["witness", "init", "--dir", str(tmp_path / "w"), "--name", "x", "--log", "乱码"]) == 2
    assert "公钥格式不正确" in capsys.readouterr().err


def test_submit_reports_silent_witnesses(org, tmp_path, settings, capsys):
    with running_witnesses(tmp_path, settings) as (online, offline):
        offline.stop()
        assert main(["witness", "submit"]) == 1
        assert "已联署 1 个见证服务，未应答 1 个" in capsys.readouterr().out


def test_verify_names_an_unknown_witness_url(org, capsys):
    ledger_checkpoint()
    assert main(["verify", "--witness", "http://127.0.0.1:9/"]) == 1
    assert "未配置见证服务" in capsys.readouterr().out


def test_serve_refuses_to_start_behind_its_cosigned_checkpoint(org, tmp_path, settings, capsys, monkeypatch):
    with running_witnesses(tmp_path, settings):
        cp = ledger_checkpoint()
        checkpoint_pass()
    behind_the_ledger("DELETE FROM ledger_entry WHERE seq >= %s", [cp.tree_size - 1])
    started = []
    monkeypatch.setattr("lawtrail.cli._start_task_worker", lambda: started.append(1))
    monkeypatch.setattr("lawtrail.cli._start_checkpointer", lambda: started.append(1))
    monkeypatch.setattr("gunicorn.app.wsgiapp.run", lambda: started.append(1))
    assert main(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("拒绝启动：账本仅有") and "System check" not in err and not started
