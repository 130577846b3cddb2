"""Forms of the public pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField(_l("Log in"))


class BankIDLoginForm(FlaskForm):
    submit = SubmitField(_l("Log in with BankID"))


class BankIDVerifyForm(FlaskForm):
    submit = SubmitField(_l("Verify with BankID instead"))


class BankIDConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm with BankID"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    submit = SubmitField(_l("Send me a link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password", "minlength": 12},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save password"))


class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Mobile phone"), validators=[DataRequired()], render_kw={"autocomplete": "tel"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Register"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm my email address"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class PersonalNumberForm(FlaskForm):
    personal_number = StringField(
        _l("Personal number"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "off"},
    )
    submit_personal_number = SubmitField(_l("Save personal number"))


class VerifyIdentityForm(FlaskForm):
    method = RadioField(
        _l("Try approving with"),
        choices=[("bankid", _l("BankID")), ("sms", _l("SMS code to my mobile phone"))],
        default="bankid",
        validators=[DataRequired()],
    )
    submit_verify = SubmitField(_l("Try it"))
