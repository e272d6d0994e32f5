"""Draws t2's figures with matplotlib from plain data that `t2 plot` (src/cli/plot_data.cpp) wrote.

This file is compiled into the t2 binary (src/cli/CMakeLists.txt embeds it) and run by
src/cli/plot_runner.cpp as `python3 plot_figures.py REQUEST.json`. It never reads t2's own files:
the C++ side reads reports, search reports and training histories with t2's readers and hands over
numbers. It needs only Debian's python3-matplotlib (matplotlib 3.5 or newer; Debian 12 has 3.6.3).

Request: {"formats": ["png", "svg"], "dpi": 100, "figures": [FIGURE, ...]}; each FIGURE has
"kind" (reinforce | cem | accuracy), "path" (output path without extension), "title", "size"
([width, height] in inches) and the kind's data (see the draw_* functions). Exit status: 0 drawn,
3 matplotlib missing or too old, 1 otherwise.
"""

import json
import math
import sys
import textwrap

try:
    import matplotlib

    if tuple(int(x) for x in matplotlib.__version__.split(".")[:2] if x.isdigit()) < (3, 5):
        raise ImportError("matplotlib %s is too old, 3.5 or newer is needed" % matplotlib.__version__)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
except ImportError as e:  # t2 turns this into "install python3-matplotlib"
    sys.stderr.write("plot_figures.py: cannot import matplotlib (%s)\n" % e)
    sys.exit(3)

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def setup():
    plt.rcParams.update({
        "font.size": 9, "axes.titlesize": 10, "figure.titlesize": 11, "axes.grid": True,
        "grid.alpha": 0.3, "svg.fonttype": "none", "svg.hashsalt": "t2",
        "axes.spines.top": False, "axes.spines.right": False,
    })


def finite(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def empty_note(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def line_panel(ax, x, y, title, ylabel, color):
    pts = [(a, b) for a, b in zip(x, y) if finite(b)]
    ax.set_title(title)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not pts:
        empty_note(ax, "no iterations yet")
        return
    xs, ys = zip(*pts)
    ax.plot(xs, ys, color=color, marker="o" if len(xs) <= 30 else None, markersize=3, lw=1.3)
    if len(xs) == 1:
        ax.set_xlim(xs[0] - 1, xs[0] + 1)
    positive = [v for v in ys if v > 0]
    if len(positive) == len(ys) and max(ys) / min(ys) > 100:
        ax.set_yscale("log")


def draw_reinforce(fig, d):
    """Data: iteration[], mean_reward[], loss[], grad_norm[], param_norm[] (per history row; the
    first three null at iteration 0, before any update), train_acc[], valid_acc[], test_acc[]
    (null where the row was not evaluated), selected_iteration (best by valid, or null)."""
    it = d["iteration"]
    sel = d.get("selected_iteration")
    axs = fig.subplots(2, 3)
    line_panel(axs[0, 0], it, d["mean_reward"], "Mean reward per iteration",
               "mean reward per prompt (+1 right, −1 wrong)", COLORS[0])
    line_panel(axs[0, 1], it, d["loss"], "REINFORCE loss", "loss  −Σ r·log p / B  (nats)",
               COLORS[1])
    line_panel(axs[0, 2], it, d["grad_norm"], "Gradient norm |g| (before clipping)",
               "‖∂L/∂p‖₂ (dimensionless)", COLORS[3])
    line_panel(axs[1, 0], it, d["param_norm"], "Parameter norm |p|", "‖p‖₂ (dimensionless)",
               COLORS[4])

    ax = axs[1, 1]
    ax.set_title("Selection: train / valid accuracy")
    ax.set_xlabel("iteration")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    any_eval = False
    for key, label, color, marker in (("train_acc", "train", COLORS[2], "s"),
                                      ("valid_acc", "valid (selects)", COLORS[0], "o")):
        pts = [(a, b) for a, b in zip(it, d[key]) if finite(b)]
        if pts:
            any_eval = True
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker=marker, color=color, label=label, lw=1.3, markersize=4)
    if sel is not None:
        ax.axvline(sel, color="k", ls="--", lw=1)
        vals = [b for a, b in zip(it, d["valid_acc"]) if a == sel and finite(b)]
        if vals:
            ax.plot([sel], vals[:1], marker="*", color="k", markersize=12, ls="none",
                    label="selected: iteration %d" % sel)
    ax.set_ylim(-0.03, 1.03)
    if any_eval:
        ax.legend(loc="best", fontsize=8)
    else:
        empty_note(ax, "no evaluation yet")

    ax = axs[1, 2]
    ax.set_title("Final: test accuracy (not used for selection)")
    ax.set_ylabel("test accuracy (fraction correct)")
    test = {a: b for a, b in zip(it, d["test_acc"]) if finite(b)}
    bars = []
    if 0 in test and sel != 0:
        bars.append(("base\n(iteration 0)", test[0], "0.6"))
    if sel is not None and sel in test:
        name = "base = selected" if sel == 0 else "selected"
        bars.append(("%s\n(iteration %d)" % (name, sel), test[sel], COLORS[0]))
    if bars:
        xs = range(len(bars))
        ax.bar(xs, [b[1] for b in bars], color=[b[2] for b in bars], width=0.6)
        for x, b in zip(xs, bars):
            ax.text(x, b[1] + 0.02, "%.3f" % b[1], ha="center", va="bottom")
        ax.set_xticks(list(xs), [b[0] for b in bars])
        ax.grid(axis="x", visible=False)
    else:
        empty_note(ax, "no test accuracy recorded")
    ax.set_ylim(0, 1.1)


def draw_cem(fig, d):
    """Data: generation[], fitness[G][pop] (every member), best_fitness[] (best so far),
    generation_best[], elite_mean[],
    experts[K], best_alpha[G][dim] (best member so far after each generation), final_alpha[dim],
    per_layer (bool), matrices[M] (per_layer: row names of final_alpha as [M, K]), n_shots,
    alpha_range [min, max], final (accuracy_clean, n_clean) or null."""
    gen = d["generation"]
    experts = d["experts"]
    K = len(experts)
    axs = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15 if d["per_layer"] else 1]})
    ax = axs[0]
    ax.set_title("Fitness per generation")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness (accuracy on %d shots)" % d["n_shots"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if gen:
        ax.set_xlim(0.5, len(gen) + 0.5)
        # Every member, spread a little sideways so that equal values stay countable.
        for g, row in zip(gen, d["fitness"]):
            xs = [g - 0.25 + 0.5 * (i + 0.5) / len(row) for i in range(len(row))]
            ax.scatter(xs, row, s=9, color="0.6", zorder=1,
                       label="each member" if g == gen[0] else None)
        # Drawn so that coinciding curves stay visible: a wide pale line under two kinds of marker.
        ax.plot(gen, d["best_fitness"], drawstyle="steps-post", color=COLORS[0], lw=5, alpha=0.35,
                label="best so far", zorder=2)
        ax.plot(gen, d["elite_mean"], marker="o", ls="--", color=COLORS[3], markersize=7,
                label="elite mean", zorder=3)
        ax.plot(gen, d["generation_best"], marker="^", ls="none", color=COLORS[2], markersize=6,
                label="best of the generation", zorder=4)
        ax.legend(loc="best", fontsize=8)
    else:
        empty_note(ax, "no generation yet")
    ax.set_ylim(-0.03, 1.03)

    ax = axs[1]
    lo, hi = d["alpha_range"]
    if d["per_layer"]:
        M = len(d["matrices"])
        grid = [d["final_alpha"][m * K:(m + 1) * K] for m in range(M)]
        im = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title("α of the best member per expert and matrix")
        ax.set_xticks(range(K), experts)
        ax.set_xlabel("expert")
        step = max(1, M // 24)
        ax.set_yticks(range(0, M, step), d["matrices"][::step], fontsize=7)
        ax.set_ylabel("adapted matrix")
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="α (mixture weight)")
    elif len(gen) > 1:
        ax.set_title("α of the best member per expert")
        ax.set_xlim(0.5, len(gen) + 0.5)
        for k in range(K):
            ax.plot(gen, [row[k] for row in d["best_alpha"]], marker="o", color=COLORS[k % len(COLORS)],
                    label=experts[k])
        ax.set_xlabel("generation")
        ax.set_ylabel("α (mixture weight)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))
        ax.legend(loc="best", fontsize=8)
    else:
        ax.set_title("α of the best member per expert")
        xs = range(K)
        ax.bar(xs, d["final_alpha"][:K], color=[COLORS[k % len(COLORS)] for k in xs], width=0.6)
        for x, v in zip(xs, d["final_alpha"]):
            ax.text(x, v + 0.02 * (hi - lo), "%.3f" % v, ha="center", va="bottom")
        ax.set_xticks(list(xs), experts)
        ax.set_xlabel("expert")
        ax.set_ylabel("α (mixture weight)")
        ax.set_ylim(lo, hi + 0.1 * (hi - lo))
        ax.grid(axis="x", visible=False)


def draw_accuracy(fig, d):
    """Data: groups[] (x axis: tasks or experts, with their captions), runs[] of {label,
    values: {group: {n, n_correct, accuracy, lo, hi, pass1_s, pass2_s}}}, interval (text),
    timing (bool: add the pass-1 / pass-2 seconds panel), ylabel."""
    groups = d["groups"]
    runs = d["runs"]
    timing = d.get("timing", False)
    axs = fig.subplots(2, 1, sharex=True) if timing else [fig.subplots(1, 1)]
    R = max(1, len(runs))
    width = 0.8 / R
    ax = axs[0]
    ax.set_title("Accuracy (error bars: %s)" % d["interval"])
    ax.set_ylabel(d.get("ylabel", "accuracy (fraction correct)"))
    for r, run in enumerate(runs):
        xs, ys, err = [], [], [[], []]
        for g, group in enumerate(groups):
            v = run["values"].get(group["key"])
            if v is None:
                continue
            xs.append(g - 0.4 + width * (r + 0.5))
            ys.append(v["accuracy"])
            err[0].append(max(0.0, v["accuracy"] - v["lo"]))
            err[1].append(max(0.0, v["hi"] - v["accuracy"]))
        ax.bar(xs, ys, width=width * 0.92, color=COLORS[r % len(COLORS)], label=run["label"],
               yerr=err, capsize=3, error_kw={"lw": 1})
        for x, y in zip(xs, ys):
            ax.text(x, 0.01, "%.2f" % y, ha="center", va="bottom", fontsize=7, rotation=90,
                    color="white" if y > 0.12 else "0.2")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="x", visible=False)
    if timing:
        ax = axs[1]
        ax.set_title("Two-pass inference time per task")
        ax.set_ylabel("seconds (summed over samples)")
        for r, run in enumerate(runs):
            color = COLORS[r % len(COLORS)]
            for g, group in enumerate(groups):
                v = run["values"].get(group["key"])
                if v is None:
                    continue
                x = g - 0.4 + width * (r + 0.5)
                ax.bar([x], [v["pass1_s"]], width=width * 0.92, color=color, alpha=0.45, hatch="//",
                       edgecolor=color)
                ax.bar([x], [v["pass2_s"]], bottom=[v["pass1_s"]], width=width * 0.92, color=color)
        ax.legend(handles=[Patch(facecolor="0.75", hatch="//", edgecolor="0.4", label="pass 1 (dispatch)"),
                           Patch(facecolor="0.4", label="pass 2 (answer)")],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        ax.grid(axis="x", visible=False)
    axs[-1].set_xticks(range(len(groups)), [g["caption"] for g in groups])
    axs[-1].set_xlabel(d.get("xlabel", "task"))


DRAW = {"reinforce": draw_reinforce, "cem": draw_cem, "accuracy": draw_accuracy}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: plot_figures.py REQUEST.json\n")
        return 1
    with open(sys.argv[1], encoding="utf-8") as f:
        req = json.load(f)
    setup()
    for d in req["figures"]:
        fig = plt.figure(figsize=d["size"], layout="constrained")  # inches; pixels = size * dpi
        # Long titles (many reports, long paths) wrap to the figure's width instead of being cut.
        width = max(40, int(d["size"][0] * 11))
        fig.suptitle("\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in d["title"].split("\n")))
        DRAW[d["kind"]](fig, d)
        for fmt in req["formats"]:
            meta = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(d["path"] + "." + fmt, format=fmt, dpi=req["dpi"], metadata=meta)
        plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
