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
