"""Message keys the code builds at run time (``t("role_" + role)``, ``title_key=...``), listed
with :func:`~fairshare.i18n.N_` so that ``make messages`` extracts them (and never marks them
obsolete). ``tests/test_i18n.py`` checks that extraction finds every key of the catalogues.
"""

from __future__ import annotations

from fairshare.i18n import N_

PAGE_TITLES = (N_("audit_title"), N_("batch_title"), N_("error_title"), N_("explanation_title"),
               N_("forbidden_title"), N_("keys_title"), N_("login_title"), N_("matching_title"),
               N_("overview_title"), N_("pledges_title"), N_("run_title"))
# render.page: flash_ + the ?done= value
FLASHES = (N_("flash_consent_recorded"), N_("flash_decided"), N_("flash_imported"),
           N_("flash_run_created"), N_("flash_validated"))
# pages.overview: count_ + the registry count's name
COUNTS = (N_("count_claimants"), N_("count_decisions"), N_("count_families"), N_("count_runs"),
          N_("count_transfers"))
# pages_matching._components: factor_ + the explanation component
FACTORS = (N_("factor_fair_share_gap"), N_("factor_outcome"), N_("factor_preference"),
           N_("factor_score"), N_("factor_tie"), N_("factor_value_per_person"))
# matching/report.PLAN_NAMES
PLANS = (N_("plan_deferred"), N_("plan_greedy"), N_("plan_status_quo"), N_("plan_this"))
# templates: reason_ + reason code, rec_ + recommendation status, role_ + role
REASONS = (N_("reason_capacity"), N_("reason_employment"), N_("reason_family-ties"),
           N_("reason_health"), N_("reason_housing"), N_("reason_language"), N_("reason_other"),
           N_("reason_preference"), N_("reason_safety"))
STATUSES = (N_("rec_accepted"), N_("rec_overridden"), N_("rec_pending"), N_("rec_superseded"),
            N_("rec_withdrawn"))
ROLES = (N_("role_analyst"), N_("role_auditor"), N_("role_coordinator"), N_("role_officer"),
         N_("role_system"))
# service errors: family_status_ + families.status (decisions.py)
FAMILY_STATUSES = (N_("family_status_placed"), N_("family_status_staying"),
                   N_("family_status_waiting"), N_("family_status_withdrawn"))
# api/errors.py: http_ + status code; problem_ + pydantic's error type
HTTP = (N_("http_400"), N_("http_401"), N_("http_403"), N_("http_404"), N_("http_405"),
        N_("http_409"), N_("http_413"), N_("http_415"), N_("http_422"), N_("http_429"))
PROBLEMS = (N_("problem_int_parsing"), N_("problem_literal_error"), N_("problem_missing"),
            N_("problem_string_pattern_mismatch"), N_("problem_string_too_long"),
            N_("problem_string_too_short"), N_("problem_extra_forbidden"),
            N_("problem_less_than"), N_("problem_less_than_equal"), N_("problem_greater_than"),
            N_("problem_greater_than_equal"), N_("problem_int_type"),
            N_("problem_int_from_float"), N_("problem_float_parsing"), N_("problem_float_type"),
            N_("problem_finite_number"), N_("problem_bool_parsing"), N_("problem_bool_type"),
            N_("problem_string_type"), N_("problem_list_type"), N_("problem_dict_type"),
            N_("problem_model_type"), N_("problem_model_attributes_type"),
            N_("problem_date_parsing"), N_("problem_date_from_datetime_parsing"),
            N_("problem_date_type"), N_("problem_too_short"), N_("problem_too_long"),
            N_("problem_enum"), N_("problem_json_invalid"))
# templates: t.label("policy_", ...), t.label("solver_", ...), t.label("run_status_", ...)
POLICIES = (N_("policy_balanced"), N_("policy_manual"), N_("policy_outcome"),
            N_("policy_preference-first"))
SOLVERS = (N_("solver_auto"), N_("solver_exact"), N_("solver_fast"), N_("solver_greedy"))
RUN_STATUSES = (N_("run_status_empty"), N_("run_status_feasible"), N_("run_status_heuristic"),
                N_("run_status_infeasible"), N_("run_status_manual"), N_("run_status_optimal"))
# keys/model.py: formula_ + the component's transform
FORMULAS = (N_("formula_fixed"), N_("formula_inverse"), N_("formula_share"))
# matching/wording.py and diagnose.py: why_ + reason code, service_ + service code
WHY = (N_("why_excluded"), N_("why_full"), N_("why_lacks-service"), N_("why_lower-score"),
       N_("why_no-consent"), N_("why_no-housing"), N_("why_no-score"), N_("why_too-large"),
       N_("why_trade-off"))
SERVICES = (N_("service_accessible"), N_("service_english"), N_("service_french"),
            N_("service_health"), N_("service_health-specialised"))
PERSONS = (N_("persons_one"), N_("persons_other"))
# outcomes/report.py: audit_col_ + column, audit_plan_ + plan
AUDIT_COLUMNS = (N_("audit_col_auc_ci"), N_("audit_col_brier_ci"), N_("audit_col_calibration_gap"),
                 N_("audit_col_calibration_gap_ci"), N_("audit_col_dimension"),
                 N_("audit_col_families_left_in_place"), N_("audit_col_gain_vs_status_quo"),
                 N_("audit_col_group"), N_("audit_col_mean_predicted"),
                 N_("audit_col_observed_rate"), N_("audit_col_outcome"), N_("audit_col_persons"),
                 N_("audit_col_plan"), N_("audit_col_predicted_rate"), N_("audit_col_solver"),
                 N_("audit_col_status"), N_("audit_col_true_rate"))
AUDIT_PLANS = (N_("audit_plan_greedy"), N_("audit_plan_optimised"), N_("audit_plan_oracle"),
               N_("audit_plan_random"), N_("audit_plan_status_quo"))

# merged pages (capacity, agreements, summaries, refusals, jobs, logins): keys built at
# run time (``"i14_refused_" + code``, ``f"job_step_{step}"``, login outcomes)
MERGED = (N_("error_officer_capacity_scope"), N_("i14_agreements_title"), N_("i14_capacity_title"),
          N_("i14_refused_agreement"), N_("i14_refused_consent"), N_("i14_refused_current"),
          N_("i14_refused_excluded"), N_("i14_refused_no_capacity"), N_("i14_refused_unknown"),
          N_("i14_role_provider"), N_("i14_role_recipient"), N_("i14_summaries_title"),
          N_("i14_summary_title"), N_("job_step_done"), N_("job_step_explaining"),
          N_("job_step_failed"), N_("job_step_interrupted"), N_("job_step_queued"),
          N_("job_step_reading"), N_("job_step_scoring"), N_("job_step_solving"),
          N_("job_step_writing"), N_("job_title"), N_("login_busy"), N_("login_failed"),
          N_("login_throttled"))

# cli/render.column_label: cli_col_ + the field of a table's column (CSV and JSON keep the field)
CLI_COLUMNS = (N_("cli_col_action"), N_("cli_col_active"), N_("cli_col_actor"),
               N_("cli_col_added_at"), N_("cli_col_added_by"), N_("cli_col_agreement_id"),
               N_("cli_col_amount"), N_("cli_col_at"), N_("cli_col_auc"), N_("cli_col_auc_gap"),
               N_("cli_col_balance"), N_("cli_col_baseline"), N_("cli_col_brier"),
               N_("cli_col_by"), N_("cli_col_calibration_gap"), N_("cli_col_capacity"),
               N_("cli_col_capped"), N_("cli_col_carried_in"), N_("cli_col_code"),
               N_("cli_col_confidence"), N_("cli_col_count"), N_("cli_col_created_at"),
               N_("cli_col_created_by"), N_("cli_col_currency"), N_("cli_col_cv_auc"),
               N_("cli_col_cv_folds"), N_("cli_col_decision_id"), N_("cli_col_delivered"),
               N_("cli_col_destination"), N_("cli_col_details"), N_("cli_col_disabled_at"),
               N_("cli_col_effective"), N_("cli_col_entity"), N_("cli_col_entity_id"),
               N_("cli_col_entity_type"), N_("cli_col_expires_at"), N_("cli_col_expires_on"),
               N_("cli_col_fair_share"), N_("cli_col_families"), N_("cli_col_family_id"),
               N_("cli_col_features"), N_("cli_col_federation"), N_("cli_col_field"),
               N_("cli_col_fill"), N_("cli_col_formula"), N_("cli_col_from_code"),
               N_("cli_col_fulfilment"), N_("cli_col_geography"), N_("cli_col_hash"),
               N_("cli_col_id"), N_("cli_col_indicator"), N_("cli_col_input_sha256"),
               N_("cli_col_intake"), N_("cli_col_jurisdiction"), N_("cli_col_key"),
               N_("cli_col_label"), N_("cli_col_largest_gap"), N_("cli_col_latest_date"),
               N_("cli_col_latest_persons"), N_("cli_col_latest_share"), N_("cli_col_max"),
               N_("cli_col_mean_outcome"), N_("cli_col_mean_predicted"), N_("cli_col_met"),
               N_("cli_col_min"), N_("cli_col_name"), N_("cli_col_net_intake"),
               N_("cli_col_note"), N_("cli_col_objective"), N_("cli_col_observed_rate"),
               N_("cli_col_offer_id"), N_("cli_col_oracle_auc"), N_("cli_col_outcome"),
               N_("cli_col_per_1000"), N_("cli_col_period"), N_("cli_col_periods"),
               N_("cli_col_persons"), N_("cli_col_persons_placed"), N_("cli_col_placed"),
               N_("cli_col_plan"), N_("cli_col_plan_sha256"), N_("cli_col_pledged"),
               N_("cli_col_policy"), N_("cli_col_positive_rate"), N_("cli_col_price_per_person"),
               N_("cli_col_progress"), N_("cli_col_purpose"), N_("cli_col_quota"),
               N_("cli_col_reference"), N_("cli_col_remaining"), N_("cli_col_remaining_persons"),
               N_("cli_col_retention_days"), N_("cli_col_revoked_at"), N_("cli_col_role"),
               N_("cli_col_run_id"), N_("cli_col_seats"), N_("cli_col_seq"),
               N_("cli_col_series_confidence"), N_("cli_col_sha256"), N_("cli_col_share"),
               N_("cli_col_share_population"), N_("cli_col_shortfall"),
               N_("cli_col_snapshot_kept"), N_("cli_col_solver"), N_("cli_col_source"),
               N_("cli_col_state"), N_("cli_col_status"), N_("cli_col_surplus"),
               N_("cli_col_target"), N_("cli_col_target_confidence"), N_("cli_col_target_text"),
               N_("cli_col_target_value"), N_("cli_col_title"), N_("cli_col_to_code"),
               N_("cli_col_total_outcome"), N_("cli_col_training_rows"),
               N_("cli_col_transferred_at"), N_("cli_col_transfers_in"),
               N_("cli_col_transfers_out"), N_("cli_col_unacceptable"), N_("cli_col_unit"),
               N_("cli_col_url"), N_("cli_col_used"), N_("cli_col_username"),
               N_("cli_col_valid_from"), N_("cli_col_value"), N_("cli_col_violations"),
               N_("cli_col_weight"), N_("cli_col_who"), N_("cli_col_year"))
