using System.Globalization;
using System.Text;

namespace Backprop;

/// <summary>
/// A self-contained HTML page for playing with a circuit: its diagram in the notes' colours, a slider and a field per
/// input, and the forward and backward passes recomputed in the browser as an input moves, by staged code printed
/// in JavaScript from the same gate rules as the C# staged code; the <see cref="Explain"/> sentences follow along.
/// No network and no external script: the page works from a file.
/// </summary>
internal static class InteractivePage
{
    public static string Write(Value output, VizOptions options)
    {
        var order = output.Topological();
        var custom = order.FirstOrDefault(v => v.Op is { HasCode: false });
        if (custom is not null)
            throw new ArgumentException($"gate '{custom.Op!.Name}' is user-defined and has no JavaScript form, " +
                "so no page can be written", nameof(output));
        var names = new WireNames(order);
        var inputs = order.Where(v => v.IsLeaf && !WireNames.IsConstant(v)).ToList();
        string title = options.Title ?? $"{names[output]}({string.Join(", ", inputs.Select(v => names[v]))})";
        string script = Script(output, order, names, inputs, options.Digits);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append($"<title>{Svg.Escape(title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n")
            .Append($"<h1>{Svg.Escape(title)}</h1>\n")
            .Append("<p>Move an input: the forward pass (green, above each wire) and the backward pass (red, ")
            .Append("below it) are recomputed by the staged code at the bottom of the page, printed from the same ")
            .Append("gate rules as Backprop's C#. Inputs can also be given in the address, as in ")
            .Append("<code>?x=3&amp;y=-4</code>.</p>\n")
            .Append("<div class=\"controls\">\n");
        foreach (var v in inputs)
        {
            string n = names[v], value = Format.RoundTrip(v.Data);
            double span = 3 * Math.Max(1, Math.Abs(v.Data));
            html.Append($"<label for=\"in-{n}\">{n}</label>")
                .Append($"<input type=\"range\" id=\"range-{n}\" data-input=\"{n}\" ")
                .Append($"min=\"{Format.RoundTrip(v.Data - span)}\" max=\"{Format.RoundTrip(v.Data + span)}\" ")
                .Append($"step=\"{Format.RoundTrip(span / 100)}\" value=\"{value}\">")
                .Append($"<input type=\"number\" id=\"in-{n}\" data-input=\"{n}\" step=\"any\" value=\"{value}\">\n");
        }
        html.Append("</div>\n<table id=\"results\">\n");
        string f = names[output];
        html.Append($"<tr><th>{f}</th><td class=\"value\" id=\"value-{f}\"></td></tr>\n");
        foreach (var v in inputs)
            html.Append($"<tr><th>d{f}/d{names[v]}</th><td class=\"grad\" id=\"grad-{names[v]}\"></td></tr>\n");
        html.Append("</table>\n<div class=\"diagram\">\n")
            .Append(Svg.Write(SvgScene.Build(CircuitLayout.Build(output, options), options)))
            .Append("</div>\n<h2>What each gate did to the gradient</h2>\n<ul id=\"explain\"></ul>\n")
            .Append("<h2>The staged code</h2>\n<pre id=\"code\">").Append(Svg.Escape(script)).Append("</pre>\n")
            .Append("<script>\n").Append(script).Append(Controller).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    // The staged passes as a JavaScript function of the inputs, returning every wire's value (w) and gradient (g),
    // then the explain sentences as template strings over them, and the number format of the diagrams.
    private static string Script(Value output, List<Value> order, WireNames names, List<Value> inputs, int digits)
    {
        string W(Value v) => $"w.{names[v]}";
        string G(Value v) => $"g.{names[v]}";
        var gates = order.Where(v => !v.IsLeaf).ToList();
        var js = new StringBuilder();
        js.Append("// staged forward and backward pass, printed by Backprop from its gate rules\n");
        js.Append("function run(input) {\n  const w = Object.create(null), g = Object.create(null);\n");
        foreach (var v in inputs) js.Append($"  {W(v)} = input.{names[v]};\n");
        foreach (var c in order.Where(WireNames.IsConstant))
            js.Append($"  {W(c)} = {RuleCode.JavaScriptNumber(c.Data)};\n");
        js.Append("  // forward pass\n");
        for (int k = 0; k < gates.Count; k++)
        {
            var v = gates[k];
            string b = v.Inputs.Count > 1 ? W(v.Inputs[1]) : "";
            string forward = v.Op!.ForwardCode(W(v.Inputs[0]), b, v.Constant, CodeLanguage.JavaScript);
            js.Append($"  {W(v)} = {forward};  // #({k + 1})\n");
        }
        js.Append("  // backward pass: each gate's local gradient times the upstream gradient, summed at forks\n");
        js.Append("  for (const name in w) g[name] = 0;\n");
        js.Append($"  {G(output)} = 1;\n");
        for (int k = gates.Count - 1; k >= 0; k--)
        {
            var v = gates[k];
            var a = v.Inputs[0];
            var b = v.Inputs.Count > 1 ? v.Inputs[1] : null;
            var (da, db) = v.Op!.LocalGradientCode(W(a), b is null ? "" : W(b), v.Constant, W(v),
                CodeLanguage.JavaScript);
            js.Append($"  {G(a)} += ({da}) * {G(v)};  // #({k + 1})\n");
            if (b is not null) js.Append($"  {G(b)} += ({db}) * {G(v)};  // #({k + 1})\n");
        }
        js.Append("  return { w, g };\n}\n\n");

        js.Append("// what each branch of a forked wire sent back, in backward order: they add up to its gradient\n")
            .Append("function branches(w, g) {\n  return {\n");
        foreach (var (wire, list) in ForkSum.Branches(order, _ => true, W, G).Where(b => b.Value.Count > 1))
            js.Append($"    {names[wire]}: [{string.Join(", ", list.Select(b => b.Code))}],\n");
        js.Append("  };\n}\n\n");
        js.Append("// what each gate did to the gradient, in backward order\nfunction explain(w, g) {\n  return [\n");
        foreach (var sentence in Explain.Sentences(output, W, G))
            js.Append("    `").Append(Template(sentence)).Append("`,\n");
        js.Append("  ];\n}\n\n");
        js.Append($"const digits = {digits.ToString(CultureInfo.InvariantCulture)};\n");
        return js.ToString();
    }

    // a sentence as the body of a JavaScript template literal: words escaped, numbers and choices as ${...}
    private static string Template(IEnumerable<ExplainPart> parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
            text.Append(part switch
            {
                Words words => words.Text.Replace("\\", "\\\\").Replace("`", "\\`").Replace("${", "\\${"),
                Number n => n.Parenthesized ? $"${{term({n.Code})}}" : $"${{fmt({n.Code})}}",
                Choice c => $"${{{c.Code} ? `{Template(c.IfTrue)}` : `{Template(c.IfFalse)}`}}",
                _ => throw new InvalidOperationException(part.GetType().Name),
            });
        return text.ToString();
    }

    // reads the inputs (from the address first), runs the passes, and writes every number on the page
    private const string Controller = """

        // .NET's "G" format (as the diagrams write numbers): significant digits, exponent past them
        function fmt(x) {
          if (Number.isNaN(x)) return "NaN";
          if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
          if (x === 0) return Object.is(x, -0) ? "-0" : "0";
          const [mantissa, power] = x.toExponential(digits - 1).split("e");
          const exponent = parseInt(power, 10);
          const trim = s => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
          if (exponent >= -5 && exponent < digits) return trim(x.toFixed(Math.max(0, digits - 1 - exponent)));
          const e = Math.abs(exponent).toString().padStart(2, "0");
          return trim(mantissa) + "E" + (exponent < 0 ? "-" : "+") + e;
        }

        // a term of a sum: a negative one in parentheses
        function term(x) { return x < 0 ? "(" + fmt(x) + ")" : fmt(x); }

        function inputs() {
          const values = {};
          for (const field of document.querySelectorAll("input[type=number]"))
            values[field.dataset.input] = parseFloat(field.value);
          return values;
        }

        function update() {
          const { w, g } = run(inputs());
          const forks = branches(w, g);
          for (const name in w) {
            for (const t of document.querySelectorAll(`text.value[data-wire="${name}"]`)) t.textContent = fmt(w[name]);
            for (const t of document.querySelectorAll(`text.grad[data-wire="${name}"]`)) t.textContent = fmt(g[name]);
          }
          // a forked wire: each branch's own gradient, and their sum under the diagram
          for (const name in forks) {
            const sum = forks[name].map((x, i) => i > 0 ? term(x) : fmt(x)).join(" + ");
            for (const t of document.querySelectorAll(`text.forksum[data-wire="${name}"]`))
              t.textContent = `${t.textContent.split(" = ")[0]} = ${sum} = ${fmt(g[name])}`;
            for (const t of document.querySelectorAll(`text.branch[data-wire="${name}"]`))
              t.textContent = fmt(forks[name][t.dataset.branch - 1]);
          }
          for (const cell of document.querySelectorAll("#results td")) {
            const [kind, name] = [cell.classList.contains("value") ? "w" : "g", cell.id.replace(/^(value|grad)-/, "")];
            const x = kind === "w" ? w[name] : g[name];
            cell.textContent = fmt(x);
            cell.dataset.value = String(x);
          }
          const list = document.getElementById("explain");
          const item = s => Object.assign(document.createElement("li"), { textContent: s });
          list.replaceChildren(...explain(w, g).map(item));
        }

        const query = new URLSearchParams(location.search);
        for (const field of document.querySelectorAll("input[type=number]")) {
          const name = field.dataset.input, slider = document.getElementById("range-" + name);
          if (query.has(name)) { field.value = query.get(name); slider.value = query.get(name); }
          field.addEventListener("input", () => { slider.value = field.value; update(); });
          slider.addEventListener("input", () => { field.value = slider.value; update(); });
        }
        update();

        """;

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 1.5em; color: #111; }
        .controls { display: grid; grid-template-columns: auto minmax(10em, 24em) 8em; gap: 0.3em 0.8em;
                    align-items: center; justify-content: start; }
        #results th { text-align: left; padding-right: 1em; font-weight: normal; }
        #results td.value { color: #1a7f37; } #results td.grad { color: #c62828; }
        .diagram { overflow-x: auto; margin: 1em 0; }
        #explain { list-style: none; padding: 0; font-family: monospace; }
        pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }

        """;
}
