"""Prints Backprop's and PyTorch's rows side by side with the targets of the CUDA issue; usage: table.py backprop.json [torch.json]."""
import json
import sys

# workload: (what the target compares, the bound): ratio = Backprop time / baseline time unless stated
TARGETS = {
    "sgemm_8192_fp32": "≥ 95% of cuBLAS direct",
    "sgemm_8192_tf32": "≥ 95% of cuBLAS direct",
    "add_2^26_fp32": "≥ 80% of PyTorch bandwidth",
    "mlp_784_512_512_10_b1024_step": "≤ 1.2× PyTorch time",
    "convnet_b256_step": "≤ 1.2× PyTorch time",
}


def main():
    ours = {r["Name"]: r for r in json.load(open(sys.argv[1]))}
    torch = {r["Name"]: r for r in json.load(open(sys.argv[2]))} if len(sys.argv) > 2 else {}
    print(f"{'workload':<32}{'backprop ms':>12}{'rate':>14}{'torch ms':>12}{'rate':>14}{'ratio':>10}  target")
    for name, row in ours.items():
        if name.startswith("cublas_direct"):
            continue
        base = torch.get(name)
        direct = ours.get(name.replace("sgemm", "cublas_direct"))
        if name.startswith("sgemm") and direct:
            ratio = f"{row['Rate'] / direct['Rate']:.0%} cuBLAS"
        elif base and row["Rate"]:
            ratio = f"{row['Rate'] / base['Rate']:.0%}"
        elif base:
            ratio = f"{row['Milliseconds'] / base['Milliseconds']:.2f}×"
        else:
            ratio = "-"
        rate = f"{row['Rate']:.1f} {row['Unit']}" if row["Rate"] else ""
        trate = f"{base['Rate']:.1f} {base['Unit']}" if base and base["Rate"] else ""
        tms = f"{base['Milliseconds']:.3f}" if base else "-"
        print(f"{name:<32}{row['Milliseconds']:>12.3f}{rate:>14}{tms:>12}{trate:>14}{ratio:>10}  {TARGETS.get(name, '')}")


if __name__ == "__main__":
    main()
