"""trialmri roi-lme: an ROI mixed model, Type III F with Satterthwaite df (as lmerTest)."""

from __future__ import annotations

from trialmri.cli.options import split_list


def add(sub, common) -> None:
    p = sub.add_parser("roi-lme", parents=[common],
                       help="ROI mixed model: Type III F with Satterthwaite df (as lmerTest / SPSS MIXED)",
                       description="Fit response ~ fixed effects + a random intercept per subject by REML "
                                   "(statsmodels MixedLM) on a long table, one row per observation, and report "
                                   "per term the Type III F with Satterthwaite denominator df and p, as R's "
                                   "anova(lmerTest::lmer(...), type = 3) and SPSS MIXED report them. Rows "
                                   "missing the response or a variable are dropped (counted in the JSON).")
    p.add_argument("--table", required=True, help="long table (TSV): the subject column, the response, the variables")
    p.add_argument("--formula", required=True, help='R style, response first, e.g. "log_crp ~ group * treatment"')
    p.add_argument("--random", default="subject", help="column of the random intercept (default: subject)")
    p.add_argument("--factors", default="", help="comma-separated numeric columns to treat as factors (numeric "
                                                 "columns are covariates otherwise, as R reads them); add "
                                                 "covariates to the formula, e.g. '+ age + race'")
    p.add_argument("--center", default="",
                   help="comma-separated quantitative variables to centre at their mean over the model's rows "
                        "(as 3dLME and the workflow's follow-ups centre covariates; R does not by itself)")
    p.add_argument("--emmeans", default=None,
                   help="comma-separated factors of the marginal means (default: the highest-order term's)")
    p.add_argument("--out", required=True,
                   help="R.tsv: term, F, df_num, df_den, p; also R_coefficients.tsv, R_emmeans.tsv, R.json")
    p.set_defaults(func=run)


def run(args) -> int:
    from trialmri.stats.roi_lme_files import output_paths, run_roi_lme_files

    fit = run_roi_lme_files(args.table, args.formula, args.random, args.out, split_list(args.factors),
                            None if args.emmeans is None else split_list(args.emmeans), center=split_list(args.center))
    info = fit.info
    print(f"{info['n_rows']} rows of {info['n_subjects']} subjects ({info['rows_dropped_missing']} dropped for "
          f"missing values); variance subject {info['var_subject']:.4g}, residual {info['var_residual']:.4g}")
    for row in fit.anova.itertuples():
        print(f"  {row.term}: F({row.df_num}, {row.df_den:.2f}) = {row.F:.3f}, p = {row.p:.3g}")
    print("wrote " + ", ".join(str(p) for p in output_paths(args.out).values()))
    return 0
