"""The ``chainrule`` command: the demo end to end (files written, 97% reached), ``train`` on
good CSV / NPZ / digits inputs, and bad inputs, which must exit non-zero with one line that
names the problem (never a traceback). Also: ``import chainrule`` loads none of the demo's
optional dependencies."""

import json
import os
import subprocess
import sys

import numpy as onp
import pytest

from chainrule.cli import main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

rng = onp.random.default_rng(0)


def run_main(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def blobs_csv(path, n=90, label_name="species", strings=True):
    centers = onp.array([[0, 0, 0], [3, 3, 0], [0, 3, 3]])
    y = onp.arange(n) % 3
    X = centers[y] + 0.5 * rng.standard_normal((n, 3))
    names = ["setosa", "versicolor", "virginica"]
    with open(path, "w") as f:
        f.write(f"a,b,c,{label_name}\n")
        for row, lab in zip(X, y, strict=True):
            f.write(",".join(f"{v:.5f}" for v in row) + f",{names[lab] if strings else lab}\n")
    return path


def test_demo_reaches_97_percent_and_writes_files(tmp_path, capsys):
    out = tmp_path / "demo"
    code, stdout, _ = run_main(["demo", "--out", str(out), "--quiet"], capsys)
    assert code == 0
    assert "closed form [[6xy, 3x^2], [2, 8y^7]] matches" in stdout
    assert "chain rule holds in both modes" in stdout
    assert "meets the 97% target" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_accuracy"] >= 0.97
    assert summary["examples_test"] == 450  # stratified 25% of 1797
    assert summary["reload_identical"]
    for name in ("params.npz", "training.png", "history.json", "model.json"):
        assert (out / name).stat().st_size > 0
    assert (out / "training.png").read_bytes()[:4] == b"\x89PNG"


def test_train_csv_classify_with_string_labels(tmp_path, capsys):
    data = blobs_csv(tmp_path / "blobs.csv")
    out = tmp_path / "run"
    code, stdout, _ = run_main(["train", "--data", str(data), "--label", "species",
                                "--hidden", "16", "--epochs", "20", "--lr", "0.01",
                                "--out", str(out), "--quiet"], capsys)
    assert code == 0, stdout
    assert "task classify" in stdout and "test accuracy" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_accuracy"] >= 0.9
    model = json.loads((out / "model.json").read_text())
    assert model["classes"] == ["setosa", "versicolor", "virginica"]
    assert model["features"] == ["a", "b", "c"]
    assert (out / "training.png").exists()


def test_train_csv_regress_and_npz(tmp_path, capsys):
    X = rng.standard_normal((120, 2))
    y = 2 * X[:, 0] - X[:, 1] + 0.05 * rng.standard_normal(120)
    path = tmp_path / "reg.csv"
    onp.savetxt(path, onp.column_stack([X, y]), delimiter=",", header="x1,x2,target",
                comments="")
    code, stdout, _ = run_main(["train", "--data", str(path), "--task", "regress",
                                "--hidden", "16", "--epochs", "40", "--lr", "0.01",
                                "--out", str(tmp_path / "r"), "--no-plot", "--quiet"], capsys)
    assert code == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["test_r2"] > 0.9 and "R^2" in stdout
    npz = tmp_path / "d.npz"
    onp.savez(npz, X=X, y=(X[:, 0] > 0).astype(int))
    code, stdout, _ = run_main(["train", "--data", str(npz), "--hidden", "8", "--epochs", "15",
                                "--lr", "0.01", "--out", str(tmp_path / "n"), "--no-plot",
                                "--quiet"], capsys)
    assert code == 0 and "task classify" in stdout


def test_train_digits_quick(tmp_path, capsys):
    code, stdout, _ = run_main(["train", "--data", "digits", "--hidden", "32", "--epochs", "3",
                                "--out", str(tmp_path / "g"), "--no-plot", "--quiet"], capsys)
    assert code == 0 and "test accuracy" in stdout


def _write(path, text):
    path.write_text(text)
    return str(path)


BAD_CSV = {
    "empty": ("", "is empty"),
    "ragged": ("a,b,y\n1,2,0\n3,4\n", "line 3: 2 fields, expected 3"),
    "nan": ("a,b,y\n1,2,0\n3,nan,1\n1,1,0\n2,2,1\n", "line 3: column 'b' is missing or NaN"),
    "blank": ("a,b,y\n1,,0\n3,4,1\n", "line 2: column 'b' is missing"),
    "text_feature": ("a,b,y\n1,red,0\n3,4,1\n", "column 'b' is not numeric ('red')"),
    "header_only": ("a,b,y\n", "no data rows"),
    "one_class": ("a,b,y\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "single class"),
    "label_nan": ("a,b,y\n1,2,0\n3,4,NA\n", "label column 'y' is missing"),
    "too_few": ("a,b,y\n1,2,0\n3,4,1\n", "need at least 4"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_inputs(case, tmp_path, capsys):
    text, message = BAD_CSV[case]
    path = _write(tmp_path / f"{case}.csv", text)
    code, _, err = run_main(["train", "--data", path, "--out", str(tmp_path / "o"),
                             "--quiet", "--epochs", "1"], capsys)
    assert code != 0
    assert message in err, err
    assert err.startswith("chainrule: error:") and err.count("\n") == 1  # one line


def test_bad_arguments_and_files(tmp_path, capsys):
    good = str(blobs_csv(tmp_path / "g.csv", strings=False))
    npz_rows = tmp_path / "rows.npz"
    onp.savez(npz_rows, X=onp.ones((10, 3)), y=onp.zeros(9))
    npz_nan = tmp_path / "nan.npz"
    onp.savez(npz_nan, X=onp.full((4, 2), onp.nan), y=onp.zeros(4))
    npz_obj = tmp_path / "obj.npz"
    onp.savez(npz_obj, X=onp.array([{"a": 1}], dtype=object), y=onp.zeros(1))
    npz_3 = tmp_path / "three.npz"
    onp.savez(npz_3, a=onp.ones((4, 2)), b=onp.ones((4, 2)), y=onp.zeros(4))
    cases = [
        (["--data", str(tmp_path / "missing.csv")], "no such file"),
        (["--data", str(tmp_path / "x.parquet")], "no such file"),
        (["--data", good, "--label", "colour"], "no column named 'colour' (columns: a, b, c, "),
        (["--data", good, "--label", "9"], "column index 9 is out of range"),
        (["--data", good, "--hidden", "12,x"], "--hidden must be comma-separated integers"),
        (["--data", good, "--epochs", "0"], "--epochs must be at least 1"),
        (["--data", good, "--lr", "-1"], "--lr must be positive"),
        (["--data", good, "--test-size", "1.5"], "--test-size must be between 0 and 1"),
        (["--data", str(npz_rows)], "have 10 rows but labels 'y' have 9"),
        (["--data", str(npz_rows), "--label", "target"], "no array named 'target'"),
        (["--data", str(npz_nan)], "NaN/inf values (first at row 0, column 0)"),
        (["--data", str(npz_obj)], "cannot read"),
        (["--data", str(npz_3)], "cannot tell which array holds the features"),
        (["--data", str(tmp_path)], "unsupported data file"),
    ]
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    cases[1] = (["--data", str(tmp_path / "x.parquet")], "unsupported data file")
    strings = str(blobs_csv(tmp_path / "s.csv"))
    cases.append((["--data", strings, "--task", "regress"], "needs a numeric label column"))
    fractional = _write(tmp_path / "f.csv", "a,y\n" + "".join(f"{i},{i / 3}\n" for i in range(8)))
    cases.append((["--data", fractional, "--task", "classify"], "non-integer values"))
    for argv, message in cases:
        code, _, err = run_main(["train", *argv, "--out", str(tmp_path / "o"), "--quiet",
                                 "--epochs", argv[argv.index("--epochs") + 1]
                                 if "--epochs" in argv else "1"], capsys)
        assert code != 0, argv
        assert message in err, (argv, err)
        assert "Traceback" not in err


def test_console_script_reports_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,zz\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run([sys.executable, "-m", "chainrule.cli", "train", "--data", str(bad),
                          "--label", "a", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2
    assert "column 'b' is not numeric" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "chainrule.cli", "train"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2 and "--data" in res.stderr and "Traceback" not in res.stderr


def test_import_chainrule_loads_no_demo_dependencies():
    code = ("import sys, chainrule, chainrule.nn, chainrule.optim, chainrule.training, "
            "chainrule.cli\n"
            "print(sorted(m for m in ('sklearn', 'matplotlib', 'tqdm') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_output_and_epochs_checked_before_training(tmp_path, capsys):
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    code, _, err = run_main(["demo", "--no-tour", "--out", str(a_file)], capsys)
    assert code == 2 and "--out" in err and "Traceback" not in err
    code, _, err = run_main(["demo", "--epochs", "0"], capsys)
    assert code == 2 and "--epochs must be at least 1" in err
    code, _, err = run_main(["train", "--data", "digits", "--out", str(a_file)], capsys)
    assert code == 2 and "--out" in err


def test_debug_flag_accepted_after_the_command(tmp_path, capsys):
    code, _, err = run_main(["train", "--data", str(tmp_path / "missing.csv"), "--debug",
                             "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "cannot read" in err and "unrecognized" not in err


def test_failed_run_leaves_no_output_directory(tmp_path, capsys):
    out = tmp_path / "never-made"
    code, _, err = run_main(["train", "--data", str(tmp_path / "missing.csv"),
                             "--out", str(out)], capsys)
    assert code == 2 and "cannot read" in err
    assert not out.exists()
    a_file = tmp_path / "f"
    a_file.write_text("x")
    code, _, err = run_main(["train", "--data", "digits", "--out", str(a_file / "sub")], capsys)
    assert code == 2 and "is not a writable directory" in err
