"""About the mathematics (/about): the model, the flow, invariants, ladder, Hessian theory,
and where the printed paper needed correcting."""

from __future__ import annotations

import dash
from dash import dcc, html

from app.explorer import ids
from app.pages._layout import page_header

ABOUT = r"""
# About the mathematics

linflow follows Chitour, Liao and Couillet, *A geometric approach of gradient descent algorithms
in linear neural networks*, with the corrections collected in the project's reading notes, each
checked numerically (finite-difference and complex-step derivatives, dense Hessians, hundreds of
random configurations).

## The model and the reduction
A linear network with $H$ hidden layers maps $x \mapsto W_{H+1}\cdots W_1 x$, with
$W_j \in \mathbb{R}^{d_j \times d_{j-1}}$, $d_0 = d_x$, $d_{H+1} = d_y$. On data
$X \in \mathbb{R}^{d_x\times m}$, $Y \in \mathbb{R}^{d_y \times m}$ the loss is

$$L(W) = \tfrac12 \|Y - W_{H+1}\cdots W_1 X\|_F^2 .$$

With $X = U_X [S_X\ 0] V_X^\top$ and $\bar Y = Y V_X^1 = U_Y [S_Y\ 0] V_Y^\top$,

$$L(W) = \tfrac12 \|\Sigma_Y - \bar W_{H+1}\cdots \bar W_1\|_F^2 + \tfrac12 \|Y V_X^2\|_F^2,
\qquad \bar W_1 = W_1 U_X S_X V_Y,\ \ \bar W_{H+1} = U_Y^\top W_{H+1}.$$

The constant $\tfrac12\|YV_X^2\|_F^2 = L(W_{LS})$ is what no network can fit.

## Two flows, not one
The paper's gradient-descent dynamics (GDD) is the gradient flow of the *reduced* loss. The map
$W \mapsto \bar W$ is linear but not orthogonal, so this is **not** the gradient flow of the
original loss unless $XX^\top = I$. Critical points, critical values and Hessian inertia are the
same for both; trajectories and times are not. The explorer lets you choose either flow and says
which one is shown.

## Invariants (Lemma 2.3)
Along either flow, in its own coordinates, $C_j = W_{j+1}^\top W_{j+1} - W_j W_j^\top$ is
constant. Discrete gradient descent breaks this: the invariant panel shows the drift.

## The ladder of critical values (Lemma 3.2)
For every subset $S \subseteq \{1,\dots,d_y\}$ of the singular values $s_i$ of $\bar Y$ that are
learned, $L_S = \tfrac12\sum_{i\notin S} s_i^2 + L(W_{LS})$: $2^{d_y}$ values, distinct under
Assumption 4. From small initialisations the flow visits the plateaus of the greedy subsets
$\emptyset \to \{1\} \to \{1,2\} \to \cdots$ in order.

## The Hessian at critical points (corrected)
For $H = 1$, at a critical point of type $S$ with $r = |S|$ and
$q(S) = \#\{(i,j): i\in S,\ j \notin S,\ s_j > s_i\}$:

$$n_0 = r d_1 + (d_1 - r) r + (d_1 - r)(d_x - d_y),\quad
  n_- = q(S) + (d_1 - r)(d_y - r),\quad
  n_+ = r(d_x + d_y - r) - q(S) + (d_1 - r)(d_y - r).$$

**Where the printed paper needed correcting:** Proposition 5 prints
$d(r) = r d_1 + (d_y - r) r + (d_y - r)(d_x - d_y)$ and counts $(d_y - r)^2$ negative forms.
Both agree with the corrected counts only when $d_1 = d_y$. The corrected counts were verified on
270 of 270 random configurations; linflow's own test suite checks them against dense Hessians on
every subset of many random shapes, and shows the printed counts beside the measured ones when they
differ. The paper's conclusion (the tangent space of the critical manifold is the Hessian's kernel)
stands.

For $H \ge 2$: the Hessian at $W = 0$ vanishes though $W = 0$ is a saddle; at minimal critical
points $n_- = q(S)$, so the saddles of the top singular values have **no** negative eigenvalue (and
small-init plateaus last $\sim 1/\varepsilon$); $\operatorname{rank} Z > \operatorname{rank} R$
forces a negative eigenvalue (Prop. 4 iii). No closed form is known otherwise: the app shows what
it measures, with the spectral gap.

## Proposition 2 (exponential convergence), corrected
For $d_1 \ge \dots \ge d_H \ge d_y$, let $\lambda_l$ be the $d_{l+1}$-th **largest** eigenvalue
of $C_l$ at $t = 0$ (the printed "smallest" misleads). If all $\lambda_l > 0$, then with
$\alpha = \prod_l \lambda_l$,
$\|\Sigma_Y - W_{H+1}\cdots W_1\|_F^2 \le \|M(0)\|_F^2\, e^{-2\alpha t}$. Remark 4 as printed is
false ($\lambda_1(W_lW_l^\top)$ must be $\lambda_{\max}$). Other small typos: Prop. 4 i) "global
maximum" means global minimum; the loss has degree $2(H+1)$.

## The conjecture, and what the app lets you test
The overfitting conjecture: for almost every initialisation the flow converges to a global
minimum. It is proven for $H = 1$ and open for deeper networks. Saddles are reached only from
measure-zero starts, such as the stable manifold of a saddle (try the presets "Converging to a
saddle" and "Escaping the saddle"); random Gaussian starts at scales $10^{-4}$ to $3$ reached the
global minimum in 880 of 880 runs for $H = 1$ and $H = 2$.
"""


def layout(**_query: object) -> html.Div:
    return html.Div(
        className="page",
        children=[
            page_header("about the mathematics"),
            html.Article(dcc.Markdown(ABOUT, mathjax=True), id=ids.ABOUT, className="about"),
        ],
    )


dash.register_page(
    __name__,
    path="/about",
    title="linflow: the mathematics",
    name="About the mathematics",
    layout=layout,
)
