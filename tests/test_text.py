from gdgrill.text import reflow


def test_reflow_joins_hard_wrapped_prose_and_list_continuations_but_keeps_structure():
    text = (
        "First sentence runs\n"
        "on to a second line.\n"
        "\n"
        "- a list item that\n"
        "  continues here\n"
        "- another item\n"
        "1. Unroll:\n"
        "     E[m] = (1 − β1ᵗ)·E[g]\n"
        "   and then the prose\n"
        "   goes on.\n"
        "Check first: the gradient norm\n"
    )
    assert reflow(text).splitlines() == [
        "First sentence runs on to a second line.",
        "",
        "- a list item that continues here",
        "- another item",
        "1. Unroll:",
        "     E[m] = (1 − β1ᵗ)·E[g]",
        "   and then the prose goes on.",
        "Check first: the gradient norm",
    ]


def test_hanging_prose_keeps_wrapped_points_under_their_text_at_any_width():
    import io

    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from gdgrill.console import Hanging

    point = "  2. " + "the consistent direction accumulates across many steps " * 3
    for width in (60, 80, 100):
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(Panel(Hanging(Text("Key points:\n" + point + "\n- a bullet " + "that wraps " * 12))))
        lines = console.file.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        first = next(i for i, line in enumerate(lines) if "2. the consistent" in line)
        start = lines[first].index("the consistent")
        assert lines[first + 1][start - 1] == " " and lines[first + 1][start] != " "
        bullet = next(i for i, line in enumerate(lines) if "- a bullet" in line)
        assert lines[bullet + 1][lines[bullet].index("a bullet")] != " "  # under the bullet's text
