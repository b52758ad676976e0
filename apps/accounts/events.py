"""Business event types of the accounts module."""

from apps.audit.events import register

USER_CREATED = register("accounts.user_created", "新建用户")
ROLE_GRANTED = register("accounts.role_granted", "授予角色")
ROLE_REVOKED = register("accounts.role_revoked", "撤销角色")
TOKEN_CREATED = register("accounts.token_created", "创建接口令牌")
TOKEN_REVOKED = register("accounts.token_revoked", "吊销接口令牌")
TOTP_ENROLLED = register("accounts.totp_enrolled", "绑定动态口令")
PASSWORD_CHANGED = register("accounts.password_changed", "修改密码")
PHONE_CODE_SENT = register("accounts.phone_code_sent", "发送登录验证码")
LOGIN_UNLOCKED = register("accounts.login_unlocked", "解除登录锁定")
