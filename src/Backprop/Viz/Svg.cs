using System.Text;

namespace Backprop;

/// <summary>Writes a <see cref="SvgScene"/> as a self-contained SVG document: no script, no external
/// resources.</summary>
internal static class Svg
{
    // fonts every system has one of; all monospace, so label widths computed in SvgScene hold everywhere
    private const string FontFamily = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, 'Courier New', " +
        "monospace";

    public static string Write(SvgScene scene)
    {
        var svg = new StringBuilder();
        string w = SvgScene.F(scene.Width), h = SvgScene.F(scene.Height);
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" " +
            $"font-family=\"{FontFamily}\">\n");
        svg.Append("<style>")
           .Append(".wire{fill:none;stroke:#555;stroke-width:1.4}.halo{fill:none;stroke:#fff;stroke-width:5}")
           .Append(".node{fill:#fff;stroke:#333;stroke-width:1.4}.chain{fill:#f2f2f2;stroke:#333;stroke-dasharray:4 2}")
           .Append(".param{fill:#fff8e1;stroke:#111;stroke-width:2.6}")
           .Append($".value{{fill:#1a7f37;font-size:{SvgScene.LabelFont}px}}")
           .Append($".grad,.branch,.forksum{{fill:#c62828;font-size:{SvgScene.LabelFont}px}}")
           .Append($".gate,.name{{fill:#111;font-size:{SvgScene.NodeFont}px}}.name{{font-weight:bold}}")
           .Append($".stub{{fill:#777;font-size:{SvgScene.NodeFont}px;font-style:italic}}")
           .Append(".title{fill:#111;font-size:14px}.note{fill:#666;font-size:12px}")
           .Append("</style>\n");
        svg.Append($"<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n");
        // each wire over a white halo, so a wire drawn later breaks the ones it crosses: a crossing reads as one
        foreach (var p in scene.Paths)
            svg.Append($"<path class=\"halo\" data-wire=\"{Escape(p.Wire)}\" d=\"{p.Data}\"/>\n")
               .Append($"<path class=\"wire\" data-wire=\"{Escape(p.Wire)}\" d=\"{p.Data}\"/>\n");
        foreach (var n in scene.Nodes.Where(n => n.Kind is NodeKind.Gate or NodeKind.Chain))
        {
            var b = n.Box;
            svg.Append($"<rect class=\"{(n.Kind == NodeKind.Gate ? "node" : "node chain")}\" x=\"{SvgScene.F(b.X)}\" " +
                       $"y=\"{SvgScene.F(b.Y)}\" width=\"{SvgScene.F(b.Width)}\" height=\"{SvgScene.F(b.Height)}\" " +
                       $"rx=\"{SvgScene.F(b.Height / 2)}\"/>\n");
        }
        foreach (var b in scene.Nodes.Where(n => n.IsParameter).Select(n => n.Box))
            svg.Append($"<rect class=\"param\" x=\"{SvgScene.F(b.X)}\" y=\"{SvgScene.F(b.Y)}\" " +
                $"width=\"{SvgScene.F(b.Width)}\" height=\"{SvgScene.F(b.Height)}\" rx=\"4\"/>\n");
        foreach (var t in scene.Texts)
        {
            string wire = t.Wire.Length > 0 ? $" data-wire=\"{Escape(t.Wire)}\"" : "";
            if (t.Branch > 0) wire += $" data-branch=\"{t.Branch}\"";
            svg.Append($"<text class=\"{t.Class}\"{wire} x=\"{SvgScene.F(t.X)}\" y=\"{SvgScene.F(t.Y)}\" " +
                $"text-anchor=\"{t.Anchor}\">{Escape(t.Text)}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Escapes text for XML content and attribute values.</summary>
    public static string Escape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
