using System.Text.RegularExpressions;

namespace Backprop.Tests.Cli;

public sealed class DemoCommandTests
{
    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Backprop.Cli.Cli.Run(["demo", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static List<string> SectionTitles(string stdout) =>
        stdout.Split('\n').Where(l => Regex.IsMatch(l, @"^\d+\. ")).ToList();

    [Fact]
    public void Every_section_is_numbered_once_in_order_and_every_line_fits_120_columns()
    {
        var (code, stdout, _) = Run();
        Assert.Equal(0, code);
        var numbers = SectionTitles(stdout).Select(l => int.Parse(l[..l.IndexOf('.')])).ToList();
        Assert.Equal(Enumerable.Range(1, 10), numbers);
        var wide = stdout.Split('\n').Where(l => l.TrimEnd('\r').Length > 120).ToList();
        Assert.True(wide.Count == 0, $"{wide.Count} lines over 120 columns, the first: {wide.FirstOrDefault()}");
        // the notes' neuron is drawn, not only tabulated: its chain of gates appears on one diagram line
        Assert.Matches("├\\+─+\\*-1─+exp─+\\+1─+1/x─+ f", stdout);
    }

    [Fact]
    public void A_section_runs_alone_and_the_list_names_them_all()
    {
        var (code, stdout, _) = Run("4");
        Assert.Equal(0, code);
        Assert.Equal(["4. The same neuron with one fused sigmoid gate, local gradient (1 - s)s"],
            SectionTitles(stdout));
        Assert.Contains("Gate by gate (section 3) and fused give the same gradients: yes", stdout);

        (code, stdout, _) = Run("9", "7");
        Assert.Equal(0, code);
        Assert.Equal(["9", "7"], SectionTitles(stdout).Select(l => l[..l.IndexOf('.')]));

        (code, stdout, _) = Run("--list");
        Assert.Equal(0, code);
        var list = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, list.Length);
        Assert.Equal(" 7. Unintuitive effects: the multiply gate scales the gradient by the data", list[6]);
    }

    [Theory]
    [InlineData("11")]
    [InlineData("0")]
    [InlineData("four")]
    public void A_section_that_does_not_exist_is_refused_naming_the_range(string section)
    {
        var (code, stdout, stderr) = Run(section);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains($"demo has sections 1 to 10; '{section}' is not one of them", stderr);
    }

    [Fact]
    public void The_multiply_gate_section_shows_the_gradient_growing_with_the_data()
    {
        var (_, stdout, _) = Run("7");
        var norms = Regex.Matches(stdout, @"‖dW‖ = ([0-9.]+)").Select(m => double.Parse(m.Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, norms.Count);
        Assert.Equal(1000, norms[1] / norms[0], 3);
        Assert.Contains("(1000 times larger)", stdout);
        Assert.Contains("same amount: yes", stdout);
    }

    [Fact]
    public void Dimension_analysis_finds_the_one_product_that_fits_each_gradient()
    {
        var (_, stdout, _) = Run("9");
        Assert.Single(Regex.Matches(stdout, @"= \[5,10\]\s+fits"));
        Assert.Single(Regex.Matches(stdout, @"= \[10,3\]\s+fits"));
        Assert.Contains("so dW = dD·Xᵀ; it equals the gradient backward computed: yes.", stdout);
        Assert.Contains("so dX = Wᵀ·dD; it equals the gradient backward computed: yes.", stdout);
        Assert.Contains("X·dDᵀ   [10,3]·[3,5]   = [10,5]  not [5,10]", stdout);
        Assert.Contains("dD·X    [5,3]·[10,3]   inner sizes 3 and 10 differ", stdout);
    }

    [Fact]
    public void The_two_layer_net_is_described_as_drawn_one_fused_Linear_gate_per_layer()
    {
        var (_, stdout, _) = Run("10");
        Assert.Contains("F.Linear is one gate, y = x·Wᵀ + b", stdout);
        Assert.DoesNotContain("Transpose", stdout);
        Assert.Contains("Linear(input1, W1, b1)", stdout);
        Assert.Contains("Linear(relu1, W2, b2)", stdout);
    }

    [Fact]
    public void With_html_each_scalar_example_becomes_a_page()
    {
        string dir = Directory.CreateTempSubdirectory("backprop-demo-html-").FullName;
        try
        {
            var (code, stdout, stderr) = Run("1", "2", "--html", dir);
            Assert.Equal(0, code);
            Assert.Equal(["add-multiply.html", "multiply.html"],
                Directory.GetFiles(dir).Select(Path.GetFileName).Order());
            string page = File.ReadAllText(Path.Combine(dir, "add-multiply.html"));
            Assert.Contains("<title>f = (x + y) * z</title>", page);
            Assert.Contains("id=\"in-z\"", page);
            // each file is announced on stderr; stdout stays the lesson
            Assert.Contains($"backprop: wrote {Path.Combine(dir, "multiply.html")}\n", stderr.ReplaceLineEndings("\n"));
            Assert.DoesNotContain("wrote", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void An_output_folder_that_is_a_file_is_refused_before_any_section()
    {
        string file = Path.GetTempFileName();
        try
        {
            var (code, stdout, stderr) = Run("1", "--out", file);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("backprop: error: ", stderr);
        }
        finally { File.Delete(file); }
    }
}
